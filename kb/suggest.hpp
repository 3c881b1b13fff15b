// "Did you mean" suggestions by edit distance, shared by rule diagnostics and
// profile validation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace advise {

// The closest candidate within a distance proportional to the word's length
// (a swapped pair of letters counts as one edit), or nothing. Ties go to the
// alphabetically first candidate, so suggestions are deterministic.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace advise
