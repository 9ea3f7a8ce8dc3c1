// Exact UTF-16 <-> UTF-8 conversion for the platform boundary.
//
// The platform speaks UTF-16 (WCHAR_T units), the C ABI speaks UTF-8. Both directions
// are strict: a lone surrogate in a 1C string, or malformed UTF-8 (which the library
// never produces), is an error with a message, never a replacement character that
// would silently change a password, and never a crash.
#ifndef AUTHGATE_1C_UTF_H
#define AUTHGATE_1C_UTF_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace authgate1c {

// Appends the UTF-8 form of `len` UTF-16 units to `out`. On malformed input returns
// false and describes the problem (with the unit's position) in `error`.
// `Unit` is the platform's WCHAR_T: uint16_t on Linux, a 2-byte wchar_t on Windows.
template <class Unit>
bool utf16_to_utf8(const Unit *s, size_t len, std::string &out, std::string &error) {
  static_assert(sizeof(Unit) == 2, "the platform's WCHAR_T is a UTF-16 unit");
  out.reserve(out.size() + len * 3);
  for (size_t i = 0; i < len; ++i) {
    uint32_t c = static_cast<uint16_t>(s[i]);
    if (c >= 0xD800 && c <= 0xDBFF) {
      uint32_t next = i + 1 < len ? static_cast<uint16_t>(s[i + 1]) : 0;
      if (next < 0xDC00 || next > 0xDFFF) {
        error = "invalid UTF-16: a lone high surrogate at unit " + std::to_string(i);
        return false;
      }
      c = 0x10000 + ((c - 0xD800) << 10) + (next - 0xDC00);
      ++i;
    } else if (c >= 0xDC00 && c <= 0xDFFF) {
      error = "invalid UTF-16: a lone low surrogate at unit " + std::to_string(i);
      return false;
    }
    if (c < 0x80) {
      out.push_back(char(c));
    } else if (c < 0x800) {
      out.push_back(char(0xC0 | (c >> 6)));
      out.push_back(char(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(char(0xE0 | (c >> 12)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(char(0x80 | (c & 0x3F)));
    } else {
      out.push_back(char(0xF0 | (c >> 18)));
      out.push_back(char(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(char(0x80 | (c & 0x3F)));
    }
  }
  return true;
}

// The UTF-16 form of a UTF-8 string. Rejects overlong forms, surrogate code points,
// values above U+10FFFF and truncated sequences.
inline bool utf8_to_utf16(const char *s, size_t len, std::u16string &out, std::string &error) {
  const auto *p = reinterpret_cast<const unsigned char *>(s);
  out.reserve(out.size() + len);
  size_t i = 0;
  while (i < len) {
    uint32_t b = p[i];
    uint32_t c;
    size_t n;
    uint32_t min;
    if (b < 0x80) {
      out.push_back(char16_t(b));
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      c = b & 0x1F, n = 1, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      c = b & 0x0F, n = 2, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      c = b & 0x07, n = 3, min = 0x10000;
    } else {
      error = "invalid UTF-8 at byte " + std::to_string(i);
      return false;
    }
    if (len - i <= n) {
      error = "truncated UTF-8 at byte " + std::to_string(i);
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      uint32_t cont = p[i + k];
      if ((cont & 0xC0) != 0x80) {
        error = "invalid UTF-8 at byte " + std::to_string(i + k);
        return false;
      }
      c = (c << 6) | (cont & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      error = "invalid UTF-8 (overlong, surrogate or out of range) at byte " + std::to_string(i);
      return false;
    }
    if (c >= 0x10000) {
      c -= 0x10000;
      out.push_back(char16_t(0xD800 + (c >> 10)));
      out.push_back(char16_t(0xDC00 + (c & 0x3FF)));
    } else {
      out.push_back(char16_t(c));
    }
    i += n + 1;
  }
  return true;
}

}  // namespace authgate1c

#endif
