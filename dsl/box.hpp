// Box<T>: a heap value owned by one pointer and copied deeply. The rare parts
// of a node (the parsed tree's and the compiled form's) live behind one, so
// that the common case pays eight bytes for them.
#pragma once

#include <memory>
#include <utility>

namespace advise {

template <class T>
class Box {
 public:
  Box() = default;
  explicit Box(T v) : p_(std::make_unique<T>(std::move(v))) {}
  Box(const Box& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;
  explicit operator bool() const { return p_ != nullptr; }
  const T* get() const { return p_.get(); }
  const T& operator*() const { return *p_; }
  const T* operator->() const { return p_.get(); }
  // The value, made (default) when absent.
  T& make() {
    if (!p_) p_ = std::make_unique<T>();
    return *p_;
  }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace advise
