// btf/identifiers.h: names as the kernel judges them (kernel/bpf/btf.c,
// btf_name_valid_identifier): [A-Za-z_.] then [A-Za-z0-9_.], where the
// letters include Latin-1's (bytes 0xC0 to 0xFF but for 0xD7 and 0xF7, as
// the kernel's <linux/ctype.h> has them), at most kNameMax bytes.
//
// Internal to btf/ (the validator's).

#ifndef BTFREG_BTF_IDENTIFIERS_H_
#define BTFREG_BTF_IDENTIFIERS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace btfreg {

inline constexpr size_t kNameMax = 512;  // KSYM_NAME_LEN

// Whether the NUL-terminated string at `s` is an identifier (false for
// nullptr and for the empty string).
bool ValidIdentifier(const char* s);

// Marks, in `valid` (indexed by offset, `base` being the offset of s[0]),
// every string of the string section s[0, len) that is an identifier: the
// strings that start at 0 and after each NUL. One pass over the section,
// 64 bytes at a step where the machine has SSE2 (x86-64 always does).
// REQUIRES: len > 0, s[len - 1] == '\0', valid->size() >= base + len.
void MarkIdentifierStrings(const unsigned char* s, uint32_t len, uint32_t base,
                           std::vector<bool>* valid);
// The same a byte at a time: the reference that tests hold the fast one to.
void MarkIdentifierStringsBytewise(const unsigned char* s, uint32_t len, uint32_t base,
                                   std::vector<bool>* valid);

}  // namespace btfreg

#endif  // BTFREG_BTF_IDENTIFIERS_H_
