// benchmarks/measure.h: what the benchmarks read off the allocator and the
// clock, written once.

#ifndef BTFREG_BENCHMARKS_MEASURE_H_
#define BTFREG_BENCHMARKS_MEASURE_H_

#include <malloc.h>

#include <chrono>
#include <cstdint>

namespace btfreg {

// Heap bytes in use, as glibc counts them (mallinfo2): small chunks plus
// the mmap()ed large ones.
inline int64_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

inline double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace btfreg

#endif  // BTFREG_BENCHMARKS_MEASURE_H_
