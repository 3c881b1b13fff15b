// Driver of the X3 parser: runs the instantiated entry rules and turns the
// furthest failure (or a nesting overflow) into Result's error.
#include "dsl/x3/x3_parser.hpp"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <stdexcept>

#include "dsl/parser.hpp"
#include "dsl/x3/grammar.hpp"

namespace advise::x3p {
namespace {

std::string expected_message(const std::vector<std::string>& names) {
  std::string m = "expected ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) m += i + 1 == names.size() ? " or " : ", ";
    m += names[i];
  }
  return m;
}

// X3 recurses through about a dozen rules per nesting level; 256 levels need
// more than the 8 MiB main-thread stack in sanitizer builds (whose frames are
// several times larger). Every parse runs on a thread of its own with a
// 64 MiB stack (about six times what 256 levels take under ASan); address
// space only, pages are committed as they are touched.
constexpr std::size_t kParseStack = std::size_t{64} << 20;

void on_big_stack(const std::function<void()>& work) {
  struct Job {
    const std::function<void()>* work;
    std::exception_ptr error;
  } job{&work, nullptr};
  auto body = [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    try {
      (*j->work)();
    } catch (...) {
      j->error = std::current_exception();
    }
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_t thread;
  bool started = false;
  if (pthread_attr_init(&attr) == 0) {
    started = pthread_attr_setstacksize(&attr, kParseStack) == 0 && pthread_create(&thread, &attr, body, &job) == 0;
    pthread_attr_destroy(&attr);
  }
  if (!started) {
    work();  // no thread to be had: parse on this stack
    return;
  }
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

template <typename Rule, typename Attr>
bool run_here(State& st, const Rule& rule, const char* first, const char* last, Attr& out, std::uint32_t& error_offset,
         ErrorKind& kind, std::vector<std::string>& expected) {
  Skipper skipper(&st);
  st.limit = last;
  struct Current {
    explicit Current(State* s) { current_state = s; }
    ~Current() { current_state = nullptr; }
  } current(&st);
  try {
    if (x3::phrase_parse(first, last, x3::with<state_tag>(st)[rule], skipper, out) && first == last) {
      if (st.deferred_too_deep != UINT32_MAX) {
        kind = ErrorKind::TooDeep;
        error_offset = st.deferred_too_deep;
        expected.clear();
        return false;
      }
      kind = ErrorKind::None;
      return true;
    }
  } catch (const NestingTooDeep& e) {
    kind = ErrorKind::TooDeep;
    error_offset = e.offset;
    expected.clear();
    return false;
  }
  kind = ErrorKind::Syntax;
  error_offset = st.furthest;
  expected.assign(st.expected.begin(), st.expected.end());
  std::sort(expected.begin(), expected.end());
  return false;
}

template <typename Rule, typename Attr>
bool run(State& st, const Rule& rule, const char* first, const char* last, Attr& out, std::uint32_t& error_offset,
         ErrorKind& kind, std::vector<std::string>& expected) {
  bool ok = false;
  on_big_stack([&] { ok = run_here(st, rule, first, last, out, error_offset, kind, expected); });
  return ok;
}

}  // namespace

Result parse(const SourceManager& sm, std::uint32_t file_id) {
  const std::string& text = sm.text(file_id);
  State st;
  st.base = text.data();
  st.file = file_id;
  Result r;
  r.file.file = file_id;
  std::size_t skip = text.compare(0, kByteOrderMark.size(), kByteOrderMark) == 0 ? kByteOrderMark.size() : 0;
  r.ok = run(st, file_rule(), text.data() + skip, text.data() + text.size(), r.file, r.error_offset, r.error,
             r.expected);
  if (r.ok) {
    r.file.comments = std::move(st.comments);
  } else if (r.error == ErrorKind::TooDeep) {
    r.message = "the expression nests more than " + std::to_string(kMaxNesting) + " levels deep";
  } else {
    r.message = expected_message(r.expected);
  }
  return r;
}

bool parse_expression(std::string_view text, std::uint32_t file_id, std::uint32_t base, ast::Expr& out,
                      std::string& error, std::uint32_t& error_offset) {
  State st;
  st.base = text.data();
  st.shift = base;
  st.file = file_id;
  ErrorKind kind{};
  std::vector<std::string> expected;
  ast::Expr e;
  if (run(st, expr_entry_rule(), text.data(), text.data() + text.size(), e, error_offset, kind, expected)) {
    out = std::move(e);
    return true;
  }
  error = kind == ErrorKind::TooDeep ? "the expression nests too deep" : expected_message(expected);
  return false;
}

bool parse_expression(std::string_view text, ast::Expr& out) {
  std::string error;
  std::uint32_t offset = 0;
  return parse_expression(text, 0, 0, out, error, offset);
}

}  // namespace advise::x3p
