// The byte writer of the start-up cache's entries (dsl/rule_cache.cpp) and
// the catalog cache's (dsl/fact_cache.cpp), the counterpart of
// dsl/cache_reader.hpp: what each encoder here writes is exactly what the
// Reader's decoder of the same name reads (u8, u32, i32, u64, f64 as the
// machine's bytes; a flag as one byte 0 or 1; a count as a u32; a text as
// its count, then its bytes, which the Reader's view() and str() read).
// Each cache adds its own checks (the depth, a count too large) and
// indexes by deriving from it.
//
// The bytes go at the end of a buffer grown by doubling: an encoder checks
// once that there is room for all it writes, then copies; no byte is
// zeroed first, since every byte below size() is written.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace advise::cache_detail {

struct Writer {
  // The next k bytes, for the caller to write every one of them.
  [[gnu::always_inline]] char* room(std::size_t k) {
    if (cap_ - n_ < k) [[unlikely]]
      grow(k);
    char* p = buf_.get() + n_;
    n_ += k;
    return p;
  }
  void reserve(std::size_t k) {
    if (cap_ - n_ < k) grow(k);
  }
  void raw(const void* p, std::size_t k) {
    if (k > 0) std::memcpy(room(k), p, k);
  }
  [[gnu::always_inline]] void u8(std::uint8_t v) { *room(1) = static_cast<char>(v); }
  [[gnu::always_inline]] void u32(std::uint32_t v) { std::memcpy(room(4), &v, 4); }
  [[gnu::always_inline]] void i32(std::int32_t v) { std::memcpy(room(4), &v, 4); }
  [[gnu::always_inline]] void u64(std::uint64_t v) { std::memcpy(room(8), &v, 8); }
  [[gnu::always_inline]] void f64(double v) { std::memcpy(room(8), &v, 8); }
  [[gnu::always_inline]] void flag(bool v) { u8(v ? 1 : 0); }
  // A count, as the Reader's count() reads it: the low 32 bits (a cache
  // that may hold more checks before it writes).
  [[gnu::always_inline]] void count(std::size_t n) { u32(static_cast<std::uint32_t>(n)); }
  // A text: its count, then its bytes (one check of room for both).
  void str(std::string_view s) {
    char* p = room(4 + s.size());
    auto k = static_cast<std::uint32_t>(s.size());
    std::memcpy(p, &k, 4);
    if (!s.empty()) std::memcpy(p + 4, s.data(), s.size());
  }

  char* data() { return buf_.get(); }
  const char* data() const { return buf_.get(); }
  std::size_t size() const { return n_; }
  std::string_view view() const { return {buf_.get(), n_}; }

 private:
  [[gnu::noinline]] void grow(std::size_t k) {
    std::size_t c = std::max(cap_ * 2, n_ + k + 4096);
    std::unique_ptr<char[]> bigger(new char[c]);
    if (n_ > 0) std::memcpy(bigger.get(), buf_.get(), n_);
    buf_ = std::move(bigger);
    cap_ = c;
  }

  std::unique_ptr<char[]> buf_;  // not zeroed: every byte below n_ is written
  std::size_t cap_ = 0, n_ = 0;
};

}  // namespace advise::cache_detail
