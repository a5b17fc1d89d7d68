#include "btf/identifiers.h"

#include <cassert>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace btfreg {
namespace {

// The kernel's <linux/ctype.h> is Latin-1, not the C locale: bytes 0xC0 to
// 0xFF are letters (but for the multiplication and division signs).
constexpr bool KernelIsAlpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= 0xC0 && c != 0xD7 && c != 0xF7);
}

// What may start (bit 0) and continue (bit 1) an identifier: one table
// lookup per character.
struct IdentChars {
  uint8_t ok[256] = {};
  constexpr IdentChars() {
    for (int c = 0; c < 256; ++c) {
      const unsigned char u = static_cast<unsigned char>(c);
      const bool first = KernelIsAlpha(u) || c == '_' || c == '.';
      const bool rest = first || (c >= '0' && c <= '9');
      ok[c] = (first ? 1 : 0) | (rest ? 2 : 0);
    }
  }
};
constexpr IdentChars kIdent;

}  // namespace

bool ValidIdentifier(const char* s) {
  if (s == nullptr || !(kIdent.ok[static_cast<unsigned char>(*s)] & 1)) {
    return false;
  }
  size_t n = 1;
  for (const char* p = s + 1; *p; ++p, ++n) {
    if (!(kIdent.ok[static_cast<unsigned char>(*p)] & 2) || n >= kNameMax) {
      return false;
    }
  }
  return true;
}

void MarkIdentifierStringsBytewise(const unsigned char* s, uint32_t len, uint32_t base,
                                   std::vector<bool>* valid) {
  assert(len > 0 && s[len - 1] == '\0' && "a string section ends with a NUL");
  for (uint32_t i = 0; i < len;) {
    const uint32_t start = i;
    uint8_t ok = kIdent.ok[s[i]] & 1;
    if (s[i] != 0) {
      for (++i; s[i] != 0; ++i) ok &= kIdent.ok[s[i]] >> 1;
    }
    if (ok && i - start <= kNameMax) (*valid)[base + start] = true;
    ++i;  // past the NUL
  }
}

#if defined(__SSE2__)
namespace {

// Bit k of each mask says something of byte k of a 64-byte block.
struct BlockMasks {
  uint64_t nul;    // a NUL: a string ends here
  uint64_t bad;    // neither NUL nor a character an identifier may hold
};

// lo <= c < lo + n, bytewise and unsigned: SSE2 compares signed bytes, so
// both sides are moved by 0x80.
inline __m128i InRange(__m128i c, int lo, int n) {
  const __m128i moved = _mm_add_epi8(c, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
  return _mm_cmplt_epi8(moved, _mm_set1_epi8(static_cast<char>(n - 0x80)));
}

inline BlockMasks Classify(const unsigned char* p) {
  BlockMasks m{0, 0};
  for (int k = 0; k < 4; ++k) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i nul = _mm_cmpeq_epi8(c, _mm_setzero_si128());
    const __m128i alpha = InRange(_mm_or_si128(c, _mm_set1_epi8(0x20)), 'a', 26);
    const __m128i digit = InRange(c, '0', 10);
    const __m128i punct = _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('_')),
                                       _mm_cmpeq_epi8(c, _mm_set1_epi8('.')));
    const __m128i not_letter = _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8(static_cast<char>(0xD7))),
                                            _mm_cmpeq_epi8(c, _mm_set1_epi8(static_cast<char>(0xF7))));
    const __m128i latin1 = _mm_andnot_si128(not_letter, InRange(c, 0xC0, 64));
    const __m128i ok = _mm_or_si128(_mm_or_si128(alpha, digit),
                                    _mm_or_si128(_mm_or_si128(punct, latin1), nul));
    m.nul |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(nul))} << (16 * k);
    m.bad |= uint64_t{static_cast<uint16_t>(~_mm_movemask_epi8(ok))} << (16 * k);
  }
  return m;
}

}  // namespace

void MarkIdentifierStrings(const unsigned char* s, uint32_t len, uint32_t base,
                           std::vector<bool>* valid) {
  assert(len > 0 && s[len - 1] == '\0' && "a string section ends with a NUL");
  // A string [start, nul) is an identifier if no bad byte lies in it, its
  // first byte is no digit (nor its NUL), and it is not too long. The last
  // bad byte seen is carried from block to block.
  uint32_t start = 0;
  int64_t last_bad = -1;
  uint32_t block = 0;
  for (; uint64_t{block} + 64 <= len; block += 64) {
    const BlockMasks m = Classify(s + block);
    for (uint64_t nul = m.nul; nul != 0; nul &= nul - 1) {
      const int bit = __builtin_ctzll(nul);
      const uint32_t end = block + bit;
      const uint64_t bad_before = m.bad & ((uint64_t{1} << bit) - 1);
      if (bad_before != 0) last_bad = block + 63 - __builtin_clzll(bad_before);
      if (last_bad < int64_t{start} && end > start && end - start <= kNameMax &&
          !(s[start] >= '0' && s[start] <= '9')) {
        (*valid)[base + start] = true;
      }
      start = end + 1;
    }
    if (m.bad != 0) last_bad = block + 63 - __builtin_clzll(m.bad);
  }
  // The strings from `start` on, which the last whole block did not end.
  if (start < len) MarkIdentifierStringsBytewise(s + start, len - start, base + start, valid);
}
#else
void MarkIdentifierStrings(const unsigned char* s, uint32_t len, uint32_t base,
                           std::vector<bool>* valid) {
  MarkIdentifierStringsBytewise(s, len, base, valid);
}
#endif

}  // namespace btfreg
