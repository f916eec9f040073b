// A growable array of trivially copyable values for what the engine keeps of a whole file (the
// values of order statistics, uniqueness runs). It lives in its own memory mapping, grows by
// moving that mapping's pages (mremap) instead of copying them, and asks for transparent huge
// pages once it is large. On the 2-vCPU build machine, first touching fresh 4 KiB pages cost
// about 4 us a page (1.1-1.4 s of CPU per 256 MiB) and a std::vector grown to 117 MiB by
// doubling touches twice that and copies it; 2 MiB pages cost 0.03-0.6 s per 256 MiB.
//
//   MappedArray<double> values;
//   values.Append(block, n);
//   std::nth_element(values.begin(), values.begin() + mid, values.end());
//
// Thread safety: none; an array has one owner at a time.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

namespace sluice::validation::internal {

namespace mapped_array_detail {
// A mapping of at least `min_bytes` holding the first `used_bytes` of `old` (a mapping of
// `old_bytes` from an earlier call, or nullptr), which it replaces; sets `*bytes` to its size.
// Throws std::bad_alloc when the system has no memory for it.
void* Grow(void* old, size_t old_bytes, size_t used_bytes, size_t min_bytes, size_t* bytes);
void Release(void* data, size_t bytes);
}  // namespace mapped_array_detail

template <typename T>
class MappedArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  MappedArray() = default;
  ~MappedArray() { mapped_array_detail::Release(data_, bytes_); }
  MappedArray(const MappedArray&) = delete;
  MappedArray& operator=(const MappedArray&) = delete;
  MappedArray(MappedArray&& other) noexcept { Swap(other); }
  MappedArray& operator=(MappedArray&& other) noexcept {
    MappedArray(std::move(other)).Swap(*this);
    return *this;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  std::span<T> span() { return {data_, size_}; }

  void push_back(const T& value) {
    if (size_ == Capacity()) Reserve(size_ + 1);
    data_[size_++] = value;
  }
  void Append(const T* values, size_t n) {
    std::memcpy(RoomFor(n), values, n * sizeof(T));
    size_ += n;
  }
  // Room for n more values after the last: write them there, then call Added with how many.
  T* RoomFor(size_t n) {
    if (Capacity() - size_ < n) Reserve(size_ + n);
    return data_ + size_;
  }
  void Added(size_t n) { size_ += n; }
  // Drops the values, keeping the memory.
  void clear() { size_ = 0; }

 private:
  size_t Capacity() const { return bytes_ / sizeof(T); }
  void Reserve(size_t n) {
    void* grown =
        mapped_array_detail::Grow(data_, bytes_, size_ * sizeof(T), n * sizeof(T), &bytes_);
    data_ = static_cast<T*>(grown);
  }
  void Swap(MappedArray& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(bytes_, other.bytes_);
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t bytes_ = 0;
};

}  // namespace sluice::validation::internal
