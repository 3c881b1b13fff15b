// The program list's entries rendered one by one, a long list's in two
// halves at once (engine/render_text.cpp, render_markdown.cpp,
// render_html.cpp). Its own header: it brings kb/parallel.hpp (<thread>),
// which the files that only call the renderers (engine/render.hpp) need not
// compile.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/program_list.hpp"
#include "kb/parallel.hpp"

namespace advise::render_detail {

// The program list's entries, each rendered by `one(std::string& out, const
// ProgramEntry&)` (which appends the entry's text to `out` and must read
// nothing another entry's rendering writes): a long list's (kProgramListSplit
// entries or more) in two halves at once, as its JSON (kb/parallel.hpp).
// Entry i's text is (*this)[i].
class EntryTexts {
 public:
  template <class One>
  EntryTexts(const std::vector<ProgramEntry>& entries, One&& one)
      : mid_(entries.size() < kProgramListSplit ? entries.size() : entries.size() / 2), ends_(entries.size()) {
    auto render = [&](std::size_t from, std::size_t to, std::string& out) {
      for (std::size_t i = from; i < to; ++i) {
        one(out, entries[i]);
        ends_[i] = out.size();
      }
    };
    if (mid_ == entries.size())
      render(0, mid_, halves_[0]);
    else
      run_both([&] { render(0, mid_, halves_[0]); }, [&] { render(mid_, entries.size(), halves_[1]); });
  }
  std::string_view operator[](std::size_t i) const {
    std::size_t begin = i == 0 || i == mid_ ? 0 : ends_[i - 1];
    return std::string_view(halves_[i < mid_ ? 0 : 1]).substr(begin, ends_[i] - begin);
  }

 private:
  std::size_t mid_;
  std::vector<std::size_t> ends_;
  std::string halves_[2];
};

}  // namespace advise::render_detail
