#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "dsl/checker.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/parser.hpp"

namespace advise::testing {

namespace fs = std::filesystem;

namespace {

// The tests never read or write the user's start-up cache
// (dsl/rule_cache.hpp): it is off unless ADVISE_CACHE_DIR names a folder
// (ctest gives one in the build tree); tests of the cache turn it on.
struct NoUserCache {
  NoUserCache() {
    if (!std::getenv("ADVISE_CACHE_DIR")) ::setenv("ADVISE_NO_CACHE", "1", 0);
  }
} no_user_cache;

}  // namespace

std::shared_ptr<const KnowledgeBase> bundled_kb() {
  static std::shared_ptr<const KnowledgeBase> kb = [] {
    std::vector<DataError> errors;
    auto k = load_knowledge_base(std::string(ADVISE_SOURCE_DIR) + "/kb", errors);
    REQUIRE(k);
    return std::make_shared<const KnowledgeBase>(std::move(*k));
  }();
  return kb;
}

std::shared_ptr<const RuleSet> compile_rules(const std::string& text, const std::string& name) {
  auto sm = std::make_shared<SourceManager>();
  Diagnostics d;
  std::uint32_t id = sm->add(name, text);
  LoadedRules files;
  files.files.push_back(parse_source(*sm, id, d));
  auto rs = check_rules(files, bundled_kb(), sm, d);
  INFO(render_text(*sm, d));
  REQUIRE_FALSE(d.has_errors());
  REQUIRE(rs);
  return std::make_shared<const RuleSet>(std::move(*rs));
}

Profile load_test_profile(const std::string& json, const std::string& name) {
  std::vector<DataError> errors;
  auto p = load_profile(json, name, *bundled_kb(), errors);
  REQUIRE(errors.empty());
  REQUIRE(p);
  return std::move(*p);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TempDir::TempDir() {
  std::string templ = (fs::temp_directory_path() / "advise-test-XXXXXX").string();
  REQUIRE(::mkdtemp(templ.data()) != nullptr);
  path = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path, ec);
}

std::string TempDir::file(const std::string& name, const std::string& content) const {
  std::ofstream f(path / name, std::ios::binary);
  f << content;
  return (path / name).string();
}

}  // namespace advise::testing
