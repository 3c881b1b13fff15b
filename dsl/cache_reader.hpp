// The byte reader of the start-up cache's entries (dsl/rule_cache.cpp) and
// the catalog cache's (dsl/fact_cache.cpp): every read checks the bytes
// left, every count is bounded by them (so no hostile count allocates much),
// and the first failure makes every later read a no-op returning zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace advise::cache_detail {

struct Reader {
  Reader(const char* begin, const char* stop) : p(begin), end(stop) {}
  const char* p;
  const char* end;
  const char* failed = nullptr;  // what failed first

  bool ok() const { return failed == nullptr; }
  void fail(const char* why) {
    if (!failed) failed = why;
    p = end;
  }
  [[gnu::always_inline]] void raw(void* out, std::size_t n) {
    if (static_cast<std::size_t>(end - p) < n) [[unlikely]] {
      short_read(out, n);
      return;
    }
    std::memcpy(out, p, n);
    p += n;
  }
  [[gnu::noinline]] void short_read(void* out, std::size_t n) {
    fail("the entry is cut short");
    std::memset(out, 0, n);
  }
  // A scalar of the entry's (the machine's) byte order; zero once failed.
  template <class T>
  [[gnu::always_inline]] T scalar() {
    T v{};
    raw(&v, sizeof v);
    return v;
  }
  [[gnu::always_inline]] std::uint8_t u8() { return scalar<std::uint8_t>(); }
  [[gnu::always_inline]] std::uint32_t u32() { return scalar<std::uint32_t>(); }
  [[gnu::always_inline]] std::int32_t i32() { return scalar<std::int32_t>(); }
  [[gnu::always_inline]] std::uint64_t u64() { return scalar<std::uint64_t>(); }
  [[gnu::always_inline]] double f64() { return scalar<double>(); }
  [[gnu::always_inline]] bool flag() {
    std::uint8_t v = u8();
    if (v > 1) fail("a flag is neither 0 nor 1");
    return v == 1;
  }
  // A count of items each at least `min_bytes` long.
  [[gnu::always_inline]] std::size_t count(std::size_t min_bytes = 1) {
    std::size_t n = u32();
    if (n > static_cast<std::size_t>(end - p) / min_bytes) {
      fail("a count is larger than the entry");
      return 0;
    }
    return n;
  }
  // A text: its length, then its bytes (viewed in the entry).
  [[gnu::always_inline]] std::string_view view() {
    std::size_t n = count();
    std::string_view s(p, n);
    p += n;
    return s;
  }
  std::string str() { return std::string(view()); }
};

}  // namespace advise::cache_detail
