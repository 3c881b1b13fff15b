// Size limits as messages say them, one wording everywhere (docs/cli.md,
// "Limits"): "the file is 52,428,800 bytes; a rule file may be at most 16 MiB
// (16,777,216 bytes)". Rule files, includes, profiles, batch lines, templates
// and facts files, facts values and files read by the command line all use it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace advise {

// "16,777,216": digits grouped by three.
inline std::string grouped_number(std::uintmax_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "16 MiB (16,777,216 bytes)", "64 KiB (65,536 bytes)", "100 bytes".
inline std::string limit_text(std::uintmax_t limit) {
  constexpr std::uintmax_t kKiB = 1024, kMiB = kKiB * 1024;
  std::string bytes = grouped_number(limit) + (limit == 1 ? " byte" : " bytes");
  if (limit >= kMiB && limit % kMiB == 0) return std::to_string(limit / kMiB) + " MiB (" + bytes + ")";
  if (limit >= kKiB && limit % kKiB == 0) return std::to_string(limit / kKiB) + " KiB (" + bytes + ")";
  return bytes;
}

// "SUBJECT is 52,428,800 bytes; WHAT may be at most 16 MiB (16,777,216 bytes)".
inline std::string size_limit_message(std::string_view subject, std::uintmax_t size, std::string_view what,
                                      std::uintmax_t limit) {
  return std::string(subject) + " is " + grouped_number(size) + " bytes; " + std::string(what) +
         " may be at most " + limit_text(limit);
}

// The same when the size is not known, only that it is over the limit (a
// stream read no further): "SUBJECT is more than 1,048,576 bytes; WHAT may be
// at most 1 MiB (1,048,576 bytes)".
inline std::string over_limit_message(std::string_view subject, std::string_view what, std::uintmax_t limit) {
  return std::string(subject) + " is more than " + grouped_number(limit) + " bytes; " + std::string(what) +
         " may be at most " + limit_text(limit);
}

}  // namespace advise
