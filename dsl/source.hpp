// Source buffers kept in memory for the whole run, so that diagnostics can
// print the offending line without re-opening a file (stdin and edited
// buffers included). File ids index into the manager.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace advise {

struct LineCol {
  std::uint32_t line = 1;  // 1-based
  std::uint32_t col = 1;   // 1-based, counted in bytes
};

class SourceManager {
 public:
  // Adds a buffer; returns its id. `name` is what diagnostics print.
  // `quotable` false: diagnostics about it never show its text (a file read
  // as rules that is not a `.rules` file, which may hold anything).
  std::uint32_t add(std::string name, std::string text, bool quotable = true);

  const std::string& name(std::uint32_t id) const { return files_.at(id).name; }
  const std::string& text(std::uint32_t id) const { return files_.at(id).text; }
  std::size_t size() const { return files_.size(); }
  bool quotable(std::uint32_t id) const { return files_.at(id).quotable; }

  LineCol line_col(std::uint32_t id, std::uint32_t offset) const;
  // The text of the line holding `offset`, without its newline.
  std::string_view line_text(std::uint32_t id, std::uint32_t offset) const;

 private:
  struct Buffer {
    std::string name;
    std::string text;
    std::vector<std::uint32_t> line_starts;
    bool quotable = true;
  };
  // A deque: a buffer never moves once added, so views into its text (a
  // template's literal runs, TextPiece) stay valid as files are added.
  std::deque<Buffer> files_;
};

}  // namespace advise
