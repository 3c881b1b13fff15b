// What many test files need: the repository's knowledge base, rules compiled
// from a string, profiles, and a scratch directory.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "dsl/ruleset.hpp"
#include "kb/knowledge_base.hpp"
#include "kb/profile.hpp"

namespace advise::testing {

// kb/ of the repository, loaded once (a test fails if it does not load).
std::shared_ptr<const KnowledgeBase> bundled_kb();

// `text` parsed and checked as the rule file `name` against bundled_kb();
// a test fails, with the diagnostics, if it has errors.
std::shared_ptr<const RuleSet> compile_rules(const std::string& text, const std::string& name = "test.rules");

// `json` loaded as the profile `name` against bundled_kb(); a test fails if it
// has problems.
Profile load_test_profile(const std::string& json, const std::string& name = "test.json");

// The whole content of a file ("" when it cannot be read).
std::string read_file(const std::string& path);

// A path in the source tree (`examples/profiles/example.json`), absolute.
inline std::string source(const std::string& rel) { return std::string(ADVISE_SOURCE_DIR) + "/" + rel; }

// A fresh directory under the system's temporary directory (mkdtemp: unique
// even across parallel test processes), removed with its content afterwards,
// whatever permissions a test left on it.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Writes `content` to `name` in the directory; returns its path.
  std::string file(const std::string& name, const std::string& content) const;
};

}  // namespace advise::testing
