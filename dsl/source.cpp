#include "dsl/source.hpp"

#include <algorithm>
#include <cstring>

namespace advise {

std::uint32_t SourceManager::add(std::string name, std::string text, bool quotable) {
  Buffer b{std::move(name), std::move(text), {0}, quotable};
  // memchr rather than a loop over every byte: this runs over every rule
  // file at every start.
  const char* base = b.text.data();
  const char* end = base + b.text.size();
  for (const char* p = base; p < end;) {
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (!nl) break;
    p = static_cast<const char*>(nl) + 1;
    b.line_starts.push_back(static_cast<std::uint32_t>(p - base));
  }
  files_.push_back(std::move(b));
  return static_cast<std::uint32_t>(files_.size() - 1);
}

LineCol SourceManager::line_col(std::uint32_t id, std::uint32_t offset) const {
  const Buffer& b = files_.at(id);
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(b.text.size()));
  auto it = std::upper_bound(b.line_starts.begin(), b.line_starts.end(), offset);
  auto line = static_cast<std::uint32_t>(it - b.line_starts.begin());
  return {line, offset - b.line_starts[line - 1] + 1};
}

std::string_view SourceManager::line_text(std::uint32_t id, std::uint32_t offset) const {
  const Buffer& b = files_.at(id);
  LineCol lc = line_col(id, offset);
  std::uint32_t start = b.line_starts[lc.line - 1];
  std::size_t end = b.text.find('\n', start);
  if (end == std::string::npos) end = b.text.size();
  std::string_view v(b.text);
  v = v.substr(start, end - start);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

}  // namespace advise
