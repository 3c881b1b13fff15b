// The start-up cache (dsl/rule_cache.hpp, docs/engine.md "Start-up"): a hit
// gives what a cold load gives, byte for byte; a damaged, cut, foreign or
// stale entry is never used; editing a rule or kb file, or adding a rule
// file, invalidates. Every test works in a folder of its own under the
// system's temporary folder, never in the user's cache.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "dsl/cache_entry.hpp"
#include "dsl/checker.hpp"
#include "dsl/rule_cache.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;
namespace fs = std::filesystem;

namespace {

// Sets an environment variable for the test's duration.
struct EnvGuard {
  std::string name;
  std::optional<std::string> old;
  EnvGuard(std::string n, const std::string& value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~EnvGuard() {
    if (old)
      ::setenv(name.c_str(), old->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

struct Loaded {
  std::shared_ptr<const KnowledgeBase> kb;
  std::shared_ptr<SourceManager> sources;
  std::optional<RuleSet> rules;
  Diagnostics diags;
};

Loaded load_cold(const std::string& kb_dir, const std::vector<std::string>& paths) {
  Loaded l;
  std::vector<DataError> errors;
  auto kb = load_knowledge_base(kb_dir, errors);
  REQUIRE(kb);
  l.kb = std::make_shared<const KnowledgeBase>(std::move(*kb));
  l.sources = std::make_shared<SourceManager>();
  l.rules = load_rule_set(paths, l.kb, l.sources, l.diags);
  REQUIRE(l.rules);
  return l;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << s;
}

std::string run(const std::vector<std::string>& args_rules, const std::string& kb, const std::string& format,
                bool explain, std::string& err_text) {
  cli::RunOptions o;
  o.profile = source("examples/profiles/example.json");
  o.rules = args_rules;
  o.kb_dir = kb;
  o.format = format;
  o.explain = explain;
  std::ostringstream out, err;
  int code = cli::cmd_run(o, out, err);
  err_text = err.str() + "exit " + std::to_string(code);
  return out.str();
}

}  // namespace

TEST_CASE("a start-up cache hit gives the same reports as a cold load", "[rule_cache]") {
  TempDir cache;
  EnvGuard no("ADVISE_NO_CACHE", "");
  std::vector<std::string> rules{source("rules")};
  std::string kb = source("kb");
  for (const char* format : {"text", "json", "markdown", "html", "dot"}) {
    for (bool explain : {false, true}) {
      std::string cold_err, warm_err, off_err;
      std::string off;
      {
        EnvGuard off_guard("ADVISE_NO_CACHE", "1");
        off = run(rules, kb, format, explain, off_err);
      }
      EnvGuard dir("ADVISE_CACHE_DIR", cache.path.string());
      std::string cold = run(rules, kb, format, explain, cold_err);  // writes the entry (first loop) or reads it
      std::string warm = run(rules, kb, format, explain, warm_err);  // reads it
      CHECK(cold == off);
      CHECK(warm == off);
      CHECK(cold_err == off_err);
      CHECK(warm_err == off_err);
    }
  }
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(cache.path)) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("a start-up cache entry holds the rule set and kb as loaded", "[rule_cache]") {
  TempDir cache;
  RuleCacheKey key{"test-binary", source("kb"), {source("rules")}, ""};
  Loaded l = load_cold(key.kb_dir, key.paths);
  auto rules = std::make_shared<const RuleSet>(std::move(*l.rules));
  std::string why;
  REQUIRE(write_rule_cache(cache.path.string(), key, *l.kb, *rules, *l.sources, l.diags, why));
  auto hit = read_rule_cache(cache.path.string(), key, why);
  INFO(why);
  REQUIRE(hit);
  REQUIRE(hit->rules->rules.size() == rules->rules.size());
  for (std::size_t i = 0; i < rules->rules.size(); ++i) {
    const CRule& a = rules->rules[i];
    const CRule& b = hit->rules->rules[i];
    CHECK(a.name() == b.name());
    CHECK(rules->where(a.loc) == hit->rules->where(b.loc));
    CHECK(rules->text_of(a.condition.loc) == hit->rules->text_of(b.condition.loc));
    CHECK(a.reads == b.reads);
    CHECK(a.writes == b.writes);
  }
  CHECK(hit->sources->size() == l.sources->size());
  CHECK(hit->kb->fields.size() == l.kb->fields.size());
  CHECK(hit->kb->field_index("step2ck") == l.kb->field_index("step2ck"));
  CHECK(hit->rules->kb->enums.size() == rules->kb->enums.size());
  CHECK(hit->rules->kb->types.size() == rules->kb->types.size());
  CHECK(hit->rules->templates.size() == rules->templates.size());
  CHECK(hit->diags.warning_count() == l.diags.warning_count());

  // Another binary, other paths: another key, no entry.
  RuleCacheKey other = key;
  other.binary_id = "another-binary";
  CHECK_FALSE(read_rule_cache(cache.path.string(), other, why));
}

// A text's literal runs are views into the rule file's text (TextPiece),
// not copies, when they are the file's own bytes; a text written in parts is
// a view a part, the later ones read after a space; escapes and doubled
// braces make a copy. A cache hit restores the views into the texts it read
// again.
TEST_CASE("a text's literal runs are views into the rule file, after a cache hit too", "[rule_cache][memory]") {
  TempDir dir, cache;
  std::string file = dir.file("t.rules",
                              "rule plain \"d\" source \"s\" when step2ck > 1 then\n"
                              "  note \"Your Step 2 CK of {step2ck} is above the line\"\n"
                              "  note \"an \\\"escaped\\\" quote and {{braces}}\"\n"
                              "  note \"written\" \"in two parts\"\n"
                              "end\n");
  RuleCacheKey key{"test-binary", source("kb"), {file}, ""};
  Loaded l = load_cold(key.kb_dir, key.paths);
  auto rules = std::make_shared<const RuleSet>(std::move(*l.rules));
  auto literals = [](const RuleSet& rs, const SourceManager& sm) {
    std::vector<std::string> out;
    std::string_view text = sm.text(0);
    for (const CAction& a : rs.rules.at(0).actions)
      for (const TextTemplate::Segment& seg : a.text.segments) {
        if (seg.is_expr()) continue;
        std::string_view s = seg.literal.str();
        bool inside = s.data() >= text.data() && s.data() + s.size() <= text.data() + text.size();
        out.push_back(std::string(seg.literal.is_view() && inside ? "view:" : "copy:") +
                      (seg.literal.after_space() ? " " : "") + std::string(s));
      }
    return out;
  };
  std::vector<std::string> want{"view:Your Step 2 CK of ", "view: is above the line",
                                "copy:an \"escaped\" quote and {braces}", "view:written", "view: in two parts"};
  CHECK(literals(*rules, *l.sources) == want);
  std::string why;
  REQUIRE(write_rule_cache(cache.path.string(), key, *l.kb, *rules, *l.sources, l.diags, why));
  auto hit = read_rule_cache(cache.path.string(), key, why);
  INFO(why);
  REQUIRE(hit);
  CHECK(literals(*hit->rules, *hit->sources) == want);
}

// Every part of the compact compiled form (dsl/ruleset.hpp) goes through the
// codec and back unchanged: the bundled rules (stages, counted placeholders,
// indexed sets, recommendations) and rules over facts (patterns, guards,
// aggregates, create and change with fields, a text constant), encoded once,
// decoded, and encoded again give the same bytes.
TEST_CASE("a decoded start-up cache entry encodes to the same bytes", "[rule_cache]") {
  TempDir cache, again, extra;
  std::string facts = extra.file("facts.rules", R"(
template guest "A guest"
  name: symbol
  sex: {m, f}
  hobby: symbol
  age: integer 0..120 optional
end
template pair "Two guests"
  a: symbol
  b: symbol
end
rule pair_up "d" source "t"
when step2ck > 200
  and for each guest a where a.sex is f
  and for each guest b where b.hobby is a.hobby and b.sex is not a.sex
  and (there is no pair p where p.a is b.name and p.b is a.name)
then create pair with a = a.name, b = b.name
end
rule older "d" source "t"
when for each guest g where g.age < 40
then change g with age = g.age + 1, hobby = "h9"
  note "{g.name} is {g.age|year|years} old"
end
rule many "d" source "t"
when (the number of guest g where g.sex is m) >= 2
then note "at least two"
end
)");
  RuleCacheKey key{"test-binary", source("kb"), {source("rules"), facts}, ""};
  Loaded l = load_cold(key.kb_dir, key.paths);
  auto rules = std::make_shared<const RuleSet>(std::move(*l.rules));
  std::string why;
  REQUIRE(write_rule_cache(cache.path.string(), key, *l.kb, *rules, *l.sources, l.diags, why));
  auto hit = read_rule_cache(cache.path.string(), key, why);
  INFO(why);
  REQUIRE(hit);
  REQUIRE(write_rule_cache(again.path.string(), key, *hit->kb, *hit->rules, *hit->sources, hit->diags, why));
  std::string first = slurp(rule_cache_file(cache.path.string(), key));
  std::string second = slurp(rule_cache_file(again.path.string(), key));
  CHECK(first.size() == second.size());
  CHECK(first == second);
  // The parts that live behind a pointer are there after decoding.
  const CRule* pair_up = hit->rules->find_rule("pair_up");
  REQUIRE(pair_up);
  CHECK(pair_up->patterns().size() == 3);
  CHECK(pair_up->guards().size() == 1);
  CHECK(pair_up->actions.at(0).fields().size() == 2);
  const CRule* older = hit->rules->find_rule("older");
  REQUIRE(older);
  CHECK(older->actions.at(1).text.segments.at(2).is_expr());
  CHECK(older->actions.at(1).text.segments.at(2).place->counted);
  // A node that is not a constant reads Missing.
  CHECK(pair_up->actions.at(0).value.constant->is_missing());
  CHECK(older->actions.at(0).key().constant->is_missing());
}

TEST_CASE("equal scalar constants are shared between the nodes of a rule set", "[rule_cache]") {
  auto rs = compile_rules(R"(
rule a "d" source "s" when step2ck > 230 then note "x" end
rule b "d" source "s" when step2ck > 230 then note "y" end
rule c "d" source "s" when step2ck > 231 then note "z" end
)");
  const Value* a = &*rs->rules.at(0).condition.kids.at(1).constant;
  const Value* b = &*rs->rules.at(1).condition.kids.at(1).constant;
  const Value* c = &*rs->rules.at(2).condition.kids.at(1).constant;
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a->num == 230);
  CHECK(c->num == 231);
}

TEST_CASE("a damaged, cut or foreign start-up cache entry is never used", "[rule_cache]") {
  TempDir cache;
  RuleCacheKey key{"test-binary", source("kb"), {source("rules")}, ""};
  Loaded l = load_cold(key.kb_dir, key.paths);
  auto rules = std::make_shared<const RuleSet>(std::move(*l.rules));
  std::string why;
  REQUIRE(write_rule_cache(cache.path.string(), key, *l.kb, *rules, *l.sources, l.diags, why));
  const std::string good = slurp(rule_cache_file(cache.path.string(), key));
  REQUIRE(good.size() > kRuleCacheHeaderSize);
  REQUIRE(decode_rule_cache(good, key, why));

  SECTION("cut short anywhere") {
    for (std::size_t n = 0; n < good.size(); n += (n < 256 ? 1 : 4099)) {
      why.clear();
      CHECK_FALSE(decode_rule_cache(std::string_view(good).substr(0, n), key, why));
      CHECK(!why.empty());
    }
  }
  SECTION("a byte changed anywhere") {
    for (std::size_t i = 0; i < good.size(); i += (i < 64 ? 1 : 3001)) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ 0x5a);
      CHECK_FALSE(decode_rule_cache(bad, key, why));
    }
  }
  SECTION("a byte changed and the checksums made to match: checked, never a crash") {
    // What a hostile entry could do: the reads after the checksum bound
    // every count and index (run under ASan).
    for (std::size_t i = kRuleCacheHeaderSize; i < good.size(); i += 1009) {
      for (unsigned char v : {0x00, 0xff, 0x80, 0x01}) {
        std::string bad = good;
        bad[i] = static_cast<char>(v);
        reseal_rule_cache(bad);
        (void)decode_rule_cache(bad, key, why);
      }
    }
    std::string longer = good + "x";
    reseal_rule_cache(longer);
    CHECK_FALSE(decode_rule_cache(longer, key, why));
    CHECK(why == "the entry has bytes after its end");
  }
  SECTION("another format version") {
    std::string bad = good;
    std::uint32_t v = kRuleCacheFormat + 1;
    std::memcpy(bad.data() + 8, &v, 4);
    reseal_rule_cache(bad);
    CHECK_FALSE(decode_rule_cache(bad, key, why));
    CHECK(why == "the entry has another format version");
  }
  SECTION("not an entry") {
    CHECK_FALSE(decode_rule_cache(std::string(200, 'x'), key, why));
    CHECK(why == "the file is not a cache entry (wrong magic)");
  }
  SECTION("a damaged file in the cache folder gives the cold load's report") {
    std::vector<std::string> rule_paths{source("rules")};
    std::string cold_err, off_err, warm_err;
    std::string off;
    {
      EnvGuard off_guard("ADVISE_NO_CACHE", "1");
      off = run(rule_paths, source("kb"), "text", false, off_err);
    }
    EnvGuard no("ADVISE_NO_CACHE", "");
    EnvGuard dir("ADVISE_CACHE_DIR", cache.path.string());
    CHECK(run(rule_paths, source("kb"), "text", false, cold_err) == off);
    for (const auto& e : fs::directory_iterator(cache.path)) {
      std::string bytes = slurp(e.path());
      spit(e.path(), bytes.substr(0, bytes.size() / 2));
    }
    CHECK(run(rule_paths, source("kb"), "text", false, warm_err) == off);  // ignored, rewritten
    CHECK(run(rule_paths, source("kb"), "text", false, warm_err) == off);  // read
    CHECK(warm_err == off_err);
  }
}

TEST_CASE("editing a rule or kb file, or adding a rule file, invalidates the start-up cache", "[rule_cache]") {
  TempDir work, cache;
  copy_tree(source("rules"), work.path / "rules");
  copy_tree(source("kb"), work.path / "kb");
  RuleCacheKey key{"test-binary", (work.path / "kb").string(), {(work.path / "rules").string()}, ""};
  auto write = [&] {
    Loaded l = load_cold(key.kb_dir, key.paths);
    auto rules = std::make_shared<const RuleSet>(std::move(*l.rules));
    std::string why;
    REQUIRE(write_rule_cache(cache.path.string(), key, *l.kb, *rules, *l.sources, l.diags, why));
  };
  write();
  std::string why;
  REQUIRE(read_rule_cache(cache.path.string(), key, why));

  // An edit to `file` makes the entry stale, naming the file; undoing it makes it good again.
  auto edit_and_undo = [&](const fs::path& file, const std::string& added) {
    std::string text = slurp(file);
    spit(file, text + added);
    CHECK_FALSE(read_rule_cache(cache.path.string(), key, why));
    CHECK(why == file.string() + " changed");
    spit(file, text);
    CHECK(read_rule_cache(cache.path.string(), key, why));
  };
  edit_and_undo(work.path / "rules" / "step2_exams.rules", "\n# an edit\n");
  edit_and_undo(work.path / "kb" / "figures.json", " ");

  spit(work.path / "rules" / "zz_new.rules", "# a new file\n");
  CHECK_FALSE(read_rule_cache(cache.path.string(), key, why));
  CHECK(why == "the files of " + (work.path / "rules").string() + " changed");
  fs::remove(work.path / "rules" / "zz_new.rules");

  spit(work.path / "kb" / "new_table.json", "{}");
  CHECK_FALSE(read_rule_cache(cache.path.string(), key, why));
  CHECK(why == "the files of " + (work.path / "kb").string() + " changed");
  fs::remove(work.path / "kb" / "new_table.json");
  CHECK(read_rule_cache(cache.path.string(), key, why));
}

TEST_CASE("start-up cache entries are private, written whole by concurrent writers, never read through a link",
          "[rule_cache]") {
  TempDir cache;
  std::string dir = (cache.path / "advise").string();
  RuleCacheKey key{"test-binary", source("kb"), {source("rules")}, ""};
  Loaded l = load_cold(key.kb_dir, key.paths);
  auto rules = std::make_shared<const RuleSet>(std::move(*l.rules));
  std::vector<std::thread> writers;
  std::atomic<int> written{0};
  for (int i = 0; i < 4; ++i)
    writers.emplace_back([&] {
      std::string why;
      for (int k = 0; k < 3; ++k)
        if (write_rule_cache(dir, key, *l.kb, *rules, *l.sources, l.diags, why)) ++written;
    });
  for (std::thread& t : writers) t.join();
  CHECK(written == 12);
  std::string why;
  CHECK(read_rule_cache(dir, key, why));
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);  // no temporary file left behind
  CHECK((fs::status(dir).permissions() & fs::perms::all) == fs::perms::owner_all);
  std::string entry = rule_cache_file(dir, key);
  CHECK((fs::status(entry).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));

  // A link in place of the entry, even to a good entry, is not followed.
  fs::rename(entry, cache.path / "elsewhere.cache");
  fs::create_symlink(cache.path / "elsewhere.cache", entry);
  CHECK_FALSE(read_rule_cache(dir, key, why));
  CHECK(why == "no usable entry " + entry);
}

namespace {

// Sets the modification (and access) time of `p` to `seconds` before `now`,
// of a link itself rather than what it points to.
void age(const fs::path& p, std::int64_t now, std::int64_t seconds) {
  struct timespec t[2];
  t[0].tv_sec = t[1].tv_sec = static_cast<time_t>(now - seconds);
  t[0].tv_nsec = t[1].tv_nsec = 0;
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), t, AT_SYMLINK_NOFOLLOW) == 0);
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

constexpr std::int64_t kDay = 24 * 3600;

}  // namespace

TEST_CASE("cleaning the start-up cache removes only this program's stale entries", "[rule_cache]") {
  TempDir cache;
  fs::path dir = cache.path / "advise";
  fs::create_directories(dir);
  fs::path outside = cache.path / "outside";
  fs::create_directories(outside);
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  auto file = [&](const fs::path& p, std::int64_t old) {
    spit(p, "x");
    age(p, now, old);
  };
  file(dir / "rules-00000000000000a1.cache", 40 * kDay);         // stale entry: removed
  file(dir / "rules-00000000000000a2.cache", 1 * kDay);          // recent entry: kept
  file(dir / "rules-00000000000000a8.cache", 40 * kDay);         // the one just written: kept
  file(dir / "rules-00000000000000a6.cache.Ab12Cd", 2 * kDay);   // a dead write's temporary: removed
  file(dir / "rules-00000000000000a7.cache.Xy34Zw", 600);        // a write under way: kept
  file(dir / "notes.txt", 40 * kDay);                            // foreign files: kept
  file(dir / "rules-00000000000000A3.cache", 40 * kDay);         // (upper-case hex is not our name)
  file(dir / "rules-0a1.cache", 40 * kDay);
  file(dir / "rules-00000000000000a9.cache.bak", 40 * kDay);
  file(dir / "xrules-00000000000000b1.cache", 40 * kDay);
  fs::create_directories(dir / "rules-00000000000000a5.cache");  // a folder named like an entry: kept
  age(dir / "rules-00000000000000a5.cache", now, 40 * kDay);
  file(outside / "rules-00000000000000a4.cache", 40 * kDay);     // a link named like an entry: kept, and its target
  fs::create_symlink(outside / "rules-00000000000000a4.cache", dir / "rules-00000000000000a4.cache");
  age(dir / "rules-00000000000000a4.cache", now, 40 * kDay);

  std::vector<std::string> removed = prune_rule_cache(dir.string(), "rules-00000000000000a8.cache", now);
  CHECK(removed == std::vector<std::string>{"rules-00000000000000a1.cache", "rules-00000000000000a6.cache.Ab12Cd"});
  CHECK(names_in(dir) == std::vector<std::string>{
                             "notes.txt", "rules-00000000000000A3.cache", "rules-00000000000000a2.cache",
                             "rules-00000000000000a4.cache", "rules-00000000000000a5.cache",
                             "rules-00000000000000a7.cache.Xy34Zw", "rules-00000000000000a8.cache",
                             "rules-00000000000000a9.cache.bak", "rules-0a1.cache", "xrules-00000000000000b1.cache"});
  CHECK(fs::is_symlink(dir / "rules-00000000000000a4.cache"));
  CHECK(fs::exists(outside / "rules-00000000000000a4.cache"));

  // Past the count limit the least recently used go; the one kept counts.
  fs::path many = cache.path / "many";
  fs::create_directories(many);
  for (int i = 1; i <= 5; ++i) file(many / ("rules-000000000000000" + std::to_string(i) + ".cache"), i * 3600);
  removed = prune_rule_cache(many.string(), "rules-0000000000000005.cache", now, 30 * kDay, 3);
  CHECK(removed == std::vector<std::string>{"rules-0000000000000003.cache", "rules-0000000000000004.cache"});
  CHECK(names_in(many) == std::vector<std::string>{"rules-0000000000000001.cache", "rules-0000000000000002.cache",
                                                   "rules-0000000000000005.cache"});

  // A folder that is not there: nothing, no error.
  CHECK(prune_rule_cache((cache.path / "none").string(), "", now).empty());

  CHECK(is_rule_cache_name("rules-0123456789abcdef.cache", false));
  CHECK_FALSE(is_rule_cache_name("rules-0123456789abcdef.cache", true));
  CHECK(is_rule_cache_name("rules-0123456789abcdef.cache.a1B2c3", true));
  CHECK_FALSE(is_rule_cache_name("rules-0123456789abcdef.cache.a1B2c", true));
  CHECK_FALSE(is_rule_cache_name("rules-0123456789abcdef.cache.a1-2c3", true));
}

TEST_CASE("writing a start-up cache entry removes stale ones; reading one marks it used", "[rule_cache]") {
  TempDir cache;
  EnvGuard no("ADVISE_NO_CACHE", "");
  EnvGuard dir("ADVISE_CACHE_DIR", cache.path.string());
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  spit(cache.path / "rules-00000000000000a1.cache", "stale");
  age(cache.path / "rules-00000000000000a1.cache", now, 31 * kDay);
  spit(cache.path / "README", "mine");
  age(cache.path / "README", now, 31 * kDay);
  std::string err;
  std::string cold = run({source("rules")}, source("kb"), "text", false, err);
  std::vector<std::string> names = names_in(cache.path);
  REQUIRE(names.size() == 2);  // the stale entry replaced by the new one
  CHECK(names[0] == "README");
  CHECK(names[1] != "rules-00000000000000a1.cache");
  CHECK(is_rule_cache_name(names[1], false));

  // An entry used now after ten days unused is as if new for the cleaning.
  fs::path entry = cache.path / names[1];
  age(entry, now, 10 * kDay);
  std::string warm = run({source("rules")}, source("kb"), "text", false, err);
  CHECK(warm == cold);
  struct stat st {};
  REQUIRE(::stat(entry.c_str(), &st) == 0);
  CHECK(static_cast<std::int64_t>(st.st_mtim.tv_sec) >= now - 60);
  // Used again within the day: not written.
  age(entry, now, 3600);
  run({source("rules")}, source("kb"), "text", false, err);
  REQUIRE(::stat(entry.c_str(), &st) == 0);
  CHECK(static_cast<std::int64_t>(st.st_mtim.tv_sec) == now - 3600);
}

// Both caches' entries are sealed and checked by one pair of functions
// (dsl/cache_entry.hpp): each damage is named, the first in the header's order.
TEST_CASE("an entry's envelope names what makes it unreadable", "[cache]") {
  using namespace advise::cache_detail;
  static constexpr char magic[8] = {'T', 'E', 'S', 'T', 'M', 'A', 'G', 'C'};
  auto sealed = [] {
    std::string e(kEntryHeaderSize, '\0');
    e += "the payload";
    seal_entry(e.data(), e.size(), magic, 7, 42);
    return e;
  };
  auto check = [](const std::string& e) { return check_entry(e, magic, 7, 42, "a test entry", "another test"); };
  std::string e = sealed();
  CHECK(check(e).empty());
  CHECK(check(e.substr(0, 47)) == "the entry is shorter than its header");
  std::string m = e;
  m[0] = 'X';
  CHECK(check(m) == "the file is not a test entry (wrong magic)");
  std::string h = e;
  h[32] ^= 1;  // the payload's hash, under the header's
  CHECK(check(h) == "the header's checksum does not match");
  CHECK(check_entry(e, magic, 8, 42, "a test entry", "another test") == "the entry has another format version");
  CHECK(check_entry(e, magic, 7, 43, "a test entry", "another test") == "the entry is for another test");
  std::string longer = e + "!";
  CHECK(check(longer) == "the entry's length does not match its header (cut short or grown)");
  std::string p = e;
  p.back() = '?';
  CHECK(check(p) == "the payload's checksum does not match");
  std::string resealed = p;
  seal_entry(resealed.data(), resealed.size(), magic, 7, 42);
  CHECK(check(resealed).empty());
}
