// btf/json.h: quoting a string for the JSON that btfreg writes.
//
// BTF names are bytes, judged as Latin-1 by the kernel: bytes of 0x80 and
// above are written as \u00XX so that the output is always valid UTF-8.

#ifndef BTFREG_BTF_JSON_H_
#define BTFREG_BTF_JSON_H_

#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"

namespace btfreg {

inline std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 ||
            static_cast<unsigned char>(c) >= 0x80) {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace btfreg

#endif  // BTFREG_BTF_JSON_H_
