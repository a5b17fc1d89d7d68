// tools/json.h: quoting a string for the JSON the CLI writes.

#ifndef BTFREG_TOOLS_JSON_H_
#define BTFREG_TOOLS_JSON_H_

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
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace btfreg

#endif  // BTFREG_TOOLS_JSON_H_
