// btf/spelling.h: how other tools spell C that libbpf 1.1 spells otherwise.
//
// Internal to btf/ (layout_text.cc, declaration.cc).

#ifndef BTFREG_BTF_SPELLING_H_
#define BTFREG_BTF_SPELLING_H_

#include <string>

namespace btfreg {

// libbpf 1.1 writes an empty parameter list as "()"; bpftool and pahole,
// built on later versions, write "(void)". In a declaration "()" is nothing
// else.
inline std::string VoidParams(std::string text) {
  for (size_t at; (at = text.find("()")) != std::string::npos;) text.replace(at, 2, "(void)");
  return text;
}

}  // namespace btfreg

#endif  // BTFREG_BTF_SPELLING_H_
