// The CLI's limits on memory (docs/cli.md, "Limits"): allocation failure
// anywhere in a command is a clear message with its own exit code (3), and
// at the --max-firings cap the heaviest output stays within a bounded amount
// of memory.
#include <catch2/catch.hpp>

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "engine/conjuncts.hpp"
#include "engine/explain.hpp"
#include "engine/render.hpp"
#include "kb/sanitize.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {
// A stream that counts what it is given, write by write (in all, how many
// writes, the largest), keeps the text unless told not to, and calls
// `every_4kib` each time another 4 KiB has come: `check --format json`'s
// pieces, and the peak of the heap while a report is written.
class CountingBuf : public std::streambuf {
 public:
  explicit CountingBuf(bool keep_text = true, std::function<void()> every_4kib = {})
      : keep_text_(keep_text), every_4kib_(std::move(every_4kib)) {}
  std::size_t total = 0, largest = 0, writes = 0;
  std::string text;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    auto k = static_cast<std::size_t>(n);
    bool next_4kib = (total + k) / 4096 != total / 4096;
    total += k;
    largest = std::max(largest, k);
    ++writes;
    if (keep_text_) text.append(s, k);
    if (next_4kib && every_4kib_) every_4kib_();
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      char ch = traits_type::to_char_type(c);
      xsputn(&ch, 1);
    }
    return traits_type::not_eof(c);
  }

 private:
  bool keep_text_;
  std::function<void()> every_4kib_;
};
}  // namespace

TEST_CASE("run_command: allocation failure is `out of memory`, exit 3, with what to try", "[limits]") {
  std::ostringstream err;
  int code = cli::run_command("run", []() -> int { throw std::bad_alloc(); }, err);
  CHECK(code == cli::kExitOutOfMemory);
  CHECK(code == 3);
  CHECK(err.str() ==
        "advise: out of memory while running `advise run`; try a lower `--max-firings`, or leave out `--trace` and "
        "`--explain` (docs/cli.md, \"Limits\")\n");
  std::ostringstream err2;
  CHECK(cli::run_command("batch", []() -> int { throw std::bad_alloc(); }, err2) == 3);
  CHECK(err2.str() == "advise: out of memory while running `advise batch`; try fewer `--jobs` (docs/cli.md, \"Limits\")\n");
}

TEST_CASE("run_command: other exceptions are internal errors, exit 2; a normal return passes through", "[limits]") {
  std::ostringstream err;
  CHECK(cli::run_command("check", []() -> int { throw std::runtime_error("boom"); }, err) == 2);
  CHECK(err.str() == "advise: internal error: boom\n");
  std::ostringstream quiet;
  CHECK(cli::run_command("check", [] { return 1; }, quiet) == 1);
  CHECK(quiet.str().empty());
}

// Address-space limits and ASan's shadow memory do not mix: native builds
// only (GCC says so with __SANITIZE_ADDRESS__, clang with __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#define ADVISE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ADVISE_TEST_ASAN 1
#endif
#endif
#if !defined(ADVISE_TEST_ASAN)
TEST_CASE("run at the --max-firings cap with json, explain and trace: out of memory is reported, not a crash",
          "[limits]") {
  TempDir d;
  cli::RunOptions o;
  o.kb_dir = std::string(ADVISE_SOURCE_DIR) + "/kb";
  o.rules = {std::string(ADVISE_SOURCE_DIR) + "/tests/golden/run/rules/runaway.rules"};
  o.profile = std::string(ADVISE_SOURCE_DIR) + "/tests/golden/run/rules/applicant.json";
  o.format = "json";
  o.explain = true;
  o.trace = true;
  o.max_firings = cli::kMaxFiringsCap;
  std::string err_file = (d.path / "err.txt").string();
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: 96 MiB more address space than it has now, well below what
    // this output needs at the cap (about 260 MB).
    std::size_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (rlim_t{96} << 20);
    rlimit rl{limit, limit};
    setrlimit(RLIMIT_AS, &rl);
    std::ostringstream out, err;
    int code = cli::run_command("run", [&] { return cli::cmd_run(o, out, err); }, err);
    std::ofstream(err_file) << err.str();
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
  CHECK(read_file(err_file) ==
        "advise: out of memory while running `advise run`; try a lower `--max-firings`, or leave out `--trace` and "
        "`--explain` (docs/cli.md, \"Limits\")\n");
}
#endif

// Memory of the rules (docs/cli.md, "Limits"): the consuming check frees each
// rule's parsed tree once compiled; its result and diagnostics are the same
// as the check that keeps the trees.
TEST_CASE("checking rules while freeing their trees gives the same rule set and diagnostics", "[limits][memory]") {
  const std::string text =
      "rule a \"A\" source \"s\" when step2ck > 240 then note \"x {step2ck}\" end\n"
      "if step2ck > 5 then set research_year = optional\n"
      "rule a \"again\" source \"s\" when step2ck > 1 then note \"y\" end\n"
      "rule b \"B\" source \"s\" when step2ck > 1 and step1_pass then recommend research research_year: \"go\" end\n";
  auto sm = std::make_shared<SourceManager>();
  std::uint32_t id = sm->add("mem.rules", text);
  Diagnostics d1, d2;
  LoadedRules kept;
  kept.files.push_back(parse_source(*sm, id, d1));
  LoadedRules consumed;
  consumed.files.push_back(parse_source(*sm, id, d2));
  auto rs1 = check_rules(kept, bundled_kb(), sm, d1);
  auto rs2 = check_rules(std::move(consumed), bundled_kb(), sm, d2);
  CHECK(render_text(*sm, d1) == render_text(*sm, d2));
  CHECK(render_text(*sm, d2).find("a rule named `a` already exists") != std::string::npos);
  REQUIRE(rs1.has_value() == rs2.has_value());
  CHECK_FALSE(rs2);  // the duplicate name is an error
  CHECK(kept.files[0].rules[0].actions.size() == 1);  // the const check keeps the trees

  // Without the duplicate, both give the same rules.
  std::uint32_t id2 = sm->add("mem2.rules", text.substr(0, text.find("rule a \"again\"")));
  Diagnostics d3, d4;
  LoadedRules kept2, consumed2;
  kept2.files.push_back(parse_source(*sm, id2, d3));
  consumed2.files.push_back(parse_source(*sm, id2, d4));
  auto rs3 = check_rules(kept2, bundled_kb(), sm, d3);
  auto rs4 = check_rules(std::move(consumed2), bundled_kb(), sm, d4);
  REQUIRE(rs3);
  REQUIRE(rs4);
  REQUIRE(rs4->rules.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(rs3->rules[i].name() == rs4->rules[i].name());
    CHECK(rs3->rules[i].reads == rs4->rules[i].reads);
    CHECK(rs3->rules[i].actions.size() == rs4->rules[i].actions.size());
  }
  CHECK(render_text(*sm, d3) == render_text(*sm, d4));
}

// load_rule_set checks each rule as it is parsed while nothing is declared,
// and parses again after the declarations otherwise: either way the same
// diagnostics, in the same order, and the same rules as loading every tree
// first (load_rules + check_rules).
TEST_CASE("checking rules while parsing them gives what checking the whole trees gives", "[limits][memory]") {
  auto both = [](const std::vector<std::string>& paths) {
    auto sm1 = std::make_shared<SourceManager>();
    Diagnostics d1;
    LoadedRules files = load_rules(paths, *sm1, d1);
    bool parse_errors = d1.has_errors();
    auto rs1 = check_rules(files, bundled_kb(), sm1, d1);
    if (parse_errors) rs1.reset();
    auto sm2 = std::make_shared<SourceManager>();
    Diagnostics d2;
    auto rs2 = load_rule_set(paths, bundled_kb(), sm2, d2);
    CHECK(render_text(*sm1, d1) == render_text(*sm2, d2));
    REQUIRE(rs1.has_value() == rs2.has_value());
    // Checking without keeping the compiled rules (`check --no-analysis`):
    // the same diagnostics and the same number of rules.
    auto sm3 = std::make_shared<SourceManager>();
    Diagnostics d3;
    auto count = check_rule_files(paths, bundled_kb(), sm3, d3);
    CHECK(render_text(*sm2, d2) == render_text(*sm3, d3));
    CHECK(render_json(*sm2, d2) == render_json(*sm3, d3));
    REQUIRE(count.has_value() == rs2.has_value());
    if (count) CHECK(*count == rs2->rules.size());
    if (rs1) {
      REQUIRE(rs1->rules.size() == rs2->rules.size());
      for (std::size_t i = 0; i < rs1->rules.size(); ++i) {
        CHECK(rs1->rules[i].name() == rs2->rules[i].name());
        CHECK(rs1->rules[i].index == rs2->rules[i].index);
        CHECK(rs1->rules[i].reads == rs2->rules[i].reads);
      }
    }
    return render_text(*sm2, d2);
  };
  TempDir t;
  std::filesystem::create_directories(t.path / "plain");
  std::filesystem::create_directories(t.path / "decl");
  // Nothing declared: checked while parsed (a warning, a duplicate, a syntax error).
  t.file("plain/a.rules",
         "if step2ck > 5 then note \"x\"\n"
         "rule a \"A\" source \"s\" when step2ck > 240 then note \"y\" end\n"
         "rule a \"again\" source \"s\" when step2ck > 1 then note \"z\" end\n"
         "rule broken when then end\n");
  t.file("plain/b.rules", "rule c \"C\" source \"s\" when step1_pass then note \"w\" end\n");
  std::string plain = both({(t.path / "plain").string()});
  CHECK(plain.find("a rule named `a` already exists") != std::string::npos);
  CHECK(plain.find("missing-source") != std::string::npos);
  // A constant declared after the rule that uses it, in a later file, and a
  // template after its rules: the files are parsed again once it is known.
  t.file("decl/a.rules",
         "rule a \"A\" source \"s\" when step2ck > high then note \"y\" end\n"
         "if step2ck > 5 then note \"x\"\n");
  t.file("decl/b.rules", "const high = 240\nconst unused = 1\n");
  std::string decl = both({(t.path / "decl").string()});
  CHECK(decl.find("`unused` is defined but never used") != std::string::npos);
  CHECK(decl.find("high") == std::string::npos);
  // The first declaration after rules already checked.
  t.file("late.rules",
         "if step2ck > 5 then note \"x\"\n"
         "rule a \"A\" source \"s\" when step2ck > high then note \"y\" end\n"
         "const high = 240\n");
  both({t.file("late2.rules", "include \"late.rules\"\nif step2ck > 6 then note \"x\"\n")});
  // Checked while parsed (a), then a declaration (b, with a rule after it),
  // then rules kept in their trees (c: a duplicate of a's rule, a rule that
  // uses b's constant, a syntax error): only a and b are parsed again, and
  // the order of the rules and of every diagnostic is still load order.
  std::filesystem::create_directories(t.path / "mixed");
  t.file("mixed/a.rules",
         "rule a \"A\" source \"s\" when step2ck > 200 then note \"y\" end\n"
         "if step2ck > 5 then note \"x\"\n");
  t.file("mixed/b.rules", "const high = 240\nrule b \"B\" source \"s\" when step2ck > high then note \"z\" end\n");
  t.file("mixed/c.rules",
         "rule a \"again\" source \"s\" when step2ck > 1 then note \"z\" end\n"
         "rule c \"C\" source \"s\" when step2ck > high then note \"w\" end\n"
         "rule broken when then end\n"
         "if step1_pass then note \"v\"\n");
  std::string mixed = both({(t.path / "mixed").string()});
  CHECK(mixed.find("a rule named `a` already exists") != std::string::npos);
  // A declaration first: nothing is checked while parsing and nothing is
  // parsed twice.
  std::filesystem::create_directories(t.path / "first");
  t.file("first/a.rules", "const high = 240\nrule a \"A\" source \"s\" when step2ck > high then note \"y\" end\n");
  t.file("first/b.rules", "rule b \"B\" source \"s\" when step2ck > high then note \"z\" end\nif step1_pass then note \"v\"\n");
  both({(t.path / "first").string()});
}

// A `missing-source` warning keeps no text: its message is made when printed,
// from the rule's name in the source (or, for an `if` rule, its file and
// line), as it read when it was kept.
TEST_CASE("a missing-source warning's message is made when printed", "[limits][memory]") {
  auto sm = std::make_shared<SourceManager>();
  std::uint32_t id = sm->add("dir/steps.v2.rules",
                             "rule named_one \"d\" when step2ck > 5 then note \"x\" end\n"
                             "\n"
                             "if step2ck > 5 then note \"x\"\n");
  Diagnostics d;
  LoadedRules files;
  files.files.push_back(parse_source(*sm, id, d));
  auto rs = check_rules(files, bundled_kb(), sm, d);
  REQUIRE(rs);
  REQUIRE(d.all().size() == 2);
  for (const Diagnostic& w : d.all()) {
    CHECK(w.kind == DiagKind::MissingSource);
    CHECK(w.message.empty());
  }
  CHECK(message_text(*sm, d.all()[0]) == "rule `named_one` does not cite the guide section it comes from");
  CHECK(message_text(*sm, d.all()[1]) == "rule `steps.v2_line_3` does not cite the guide section it comes from");
  CHECK(rs->rules[1].name() == "steps.v2_line_3");
  CHECK(render_text(*sm, d).find("dir/steps.v2.rules:3:1: warning: rule `steps.v2_line_3` does not cite") !=
        std::string::npos);
  CHECK(render_json(*sm, d).find("\"message\": \"rule `named_one` does not cite") != std::string::npos);
}

// The compiled form is what a rule set holds a rule (docs/cli.md, "Limits":
// the memory per rule): a node per expression, an action, a rule. Their sizes
// are guarded here and by static_asserts in dsl/ruleset.hpp; a field added
// to one of them adds its size to every rule of a 16 MiB rule file.
TEST_CASE("the compiled form's sizes: the memory per rule", "[limits][memory]") {
  CHECK(sizeof(CExpr) == 40);    // children: one pointer (PackedVec), not a 24-byte vector; level: 16 bits
  CHECK(sizeof(CAction) == 88);  // text segments: a PackedVec
  CHECK(sizeof(CRule) == 128);   // actions: a PackedVec; name, description and source: RuleTexts
  CHECK(sizeof(PackedVec<CExpr>) == sizeof(void*));
  CHECK(sizeof(TextPiece) == 16);
  CHECK(sizeof(TextTemplate::Segment) == 24);  // a literal run: a TextPiece, usually a view into the rule file
}

TEST_CASE("TextPiece views or owns its bytes", "[limits][memory]") {
  std::string file = "note \"a text longer than fifteen bytes\"";
  TextPiece v = TextPiece::view(std::string_view(file).substr(6, 33));
  CHECK(v.is_view());
  CHECK(v.str() == "a text longer than fifteen bytes\"");
  CHECK(v.str().data() == file.data() + 6);  // no copy
  TextPiece c = TextPiece::copy("escaped \"q\"");
  CHECK_FALSE(c.is_view());
  CHECK(c.str() == "escaped \"q\"");
  TextPiece c2 = c;  // an owned piece copies its bytes
  CHECK(c2.str() == c.str());
  CHECK(c2.str().data() != c.str().data());
  TextPiece v2 = v;  // a view copies the view
  CHECK(v2.str().data() == v.str().data());
  TextPiece m = std::move(c2);
  CHECK(m.str() == "escaped \"q\"");
  CHECK(c2.empty());  // NOLINT(bugprone-use-after-move): moved from, it is empty
  m = v;
  CHECK(m.is_view());
  // A later part of a text written in parts: read after a space, which the
  // file does not hold.
  TextPiece part = TextPiece::view(std::string_view(file).substr(8, 4), true);
  CHECK(part.after_space());
  CHECK(part.str() == "text");
  std::string read = "a";
  part.append_to(read);
  CHECK(read == "a text");
  TextPiece part2 = part;
  CHECK(part2.after_space());
  CHECK(TextPiece(std::move(part2)).after_space());
  CHECK(TextPiece().str().empty());
  CHECK(TextPiece::copy("").empty());
}

TEST_CASE("PackedVec reads and grows like a vector", "[limits][memory]") {
  auto num = [](int i) {
    CExpr e;
    e.slot = i;
    return e;
  };
  PackedVec<CExpr> v;
  CHECK(v.empty());
  CHECK(v.size() == 0);
  CHECK(v.begin() == v.end());
  for (int i = 0; i < 40; ++i) v.push_back(num(i));
  REQUIRE(v.size() == 40);
  for (int i = 0; i < 40; ++i) CHECK(v[static_cast<std::size_t>(i)].slot == i);
  v.push_back(v[3]);  // an item of its own, while it grows
  v.push_back(v.back());
  CHECK(v.back().slot == 3);
  CHECK(v.at(40).slot == 3);
  CHECK_THROWS_AS(v.at(42), std::out_of_range);
  v[0].kids.take(num(7), num(8));  // moved in, exactly sized
  v[0].kids.emplace_back(num(9));
  PackedVec<CExpr> copy = v;  // deep
  copy[0].kids[0].slot = 70;
  CHECK(v[0].kids[0].slot == 7);
  CHECK(copy[0].kids.size() == 3);
  int n = 0;
  for (auto it = v[0].kids.rbegin(); it != v[0].kids.rend(); ++it) n = n * 10 + it->slot;
  CHECK(n == 987);
  PackedVec<CExpr> moved = std::move(copy);
  CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): moved from, it is empty
  CHECK(moved.size() == 42);
  moved.resize(2);
  CHECK(moved.size() == 2);
  CHECK(moved[1].slot == 1);
  moved.resize(4);
  CHECK(moved[3].slot == -1);
  moved.resize(6, num(5));  // the new items are copies of the value given
  CHECK(moved[3].slot == -1);
  CHECK(moved[4].slot == 5);
  CHECK(moved[5].slot == 5);
  moved.resize(40, moved[4]);  // an item of its own, while it grows
  CHECK(moved[39].slot == 5);
  moved.resize(1, num(5));
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].slot == 0);
  moved.clear();
  CHECK(moved.empty());
  v = moved;
  CHECK(v.empty());
}

#if !defined(ADVISE_TEST_ASAN) && defined(__GLIBC__)
// The heap held a rule once `load` (a loader over paths, kb, sources and
// diagnostics, returning the rules checked; what it returns is held by the
// caller) has read 20,000 one-line `if` rules, each with its
// `missing-source` warning: malloc's own count, the chunks' headers
// included (native builds only: a sanitizer's allocator does not count in
// mallinfo2).
// `head` comes first in the file (a declaration: the trees are kept, or
// dropped past 2 MiB of text).
template <class Load>
long long heap_per_if_rule(Load load, int n = 20000, const std::string& head = "") {
  TempDir t;
  std::string text = head;
  for (int i = 0; i < n; ++i) text += "if step2ck > 5 then note \"x\"\n";
  std::string path = t.file("m.rules", text);
  auto kb = bundled_kb();
  auto in_use = [] { return static_cast<long long>(mallinfo2().uordblks); };
  malloc_trim(0);
  long long before = in_use();
  auto sm = std::make_shared<SourceManager>();
  Diagnostics d;
  REQUIRE(load(std::vector<std::string>{path}, kb, sm, d) == static_cast<std::size_t>(n));
  REQUIRE(d.warning_count() >= static_cast<std::size_t>(n));  // and the head's (an unused constant)
  long long per_rule = (in_use() - before) / n;
  INFO("heap a rule: " << per_rule << " bytes (text: 29)");
  return per_rule;
}

// A loaded rule set: 392 bytes a rule were measured (the text 29 of them;
// the warning's message is made when printed: 473 when it was kept); the
// bound leaves room for a standard library's growth policies.
TEST_CASE("a loaded rule set's heap a rule stays near its measured size", "[limits][memory]") {
  std::optional<RuleSet> rs;
  CHECK(heap_per_if_rule([&](const std::vector<std::string>& paths, const auto& kb, const auto& sm, Diagnostics& d) {
          rs = load_rule_set(paths, kb, sm, d);
          return rs ? rs->rules.size() : std::size_t{0};
        }) < 470);
}

// `check --no-analysis` keeps none of the compiled rules (check_rule_files):
// what it holds a rule once checked is the text and the warning (94 bytes a
// rule measured: the text 29, a Diagnostic of 56 in a deque).
TEST_CASE("checking without keeping the rules holds the text and the warnings", "[limits][memory]") {
  CHECK(heap_per_if_rule([](const std::vector<std::string>& paths, const auto& kb, const auto& sm, Diagnostics& d) {
          auto count = check_rule_files(paths, kb, sm, d);
          return count ? *count : std::size_t{0};
        }) < 120);
}

// A rule set that declares something is checked once every declaration is
// known: below 2 MiB of text its rules' trees are kept until then (about 7
// times the text), past it they are dropped and the file parsed again. So
// 80,000 rules (2.3 MB) after a constant hold what the same rules hold
// without one: the text and the warnings (94 bytes a rule measured).
TEST_CASE("past 2 MiB of text, a rule set with declarations does not hold its trees", "[limits][memory]") {
  CHECK(heap_per_if_rule(
            [](const std::vector<std::string>& paths, const auto& kb, const auto& sm, Diagnostics& d) {
              auto count = check_rule_files(paths, kb, sm, d);
              return count ? *count : std::size_t{0};
            },
            80000, "const unused_here = 1\n") < 120);
}
// The guide's own rules (rules/) copied `copies` times into `dir`, each
// copy's rules renamed, the definitions once, first, as
// bench/rules_memory.sh makes them: rules as advisors write them. Returns
// the file that includes them all; counts their rules and text.
std::string guide_copies(const TempDir& dir, int copies, std::size_t& rules, std::size_t& bytes) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(source("rules"))) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string all = "include \"definitions.rules\"\n";
  bytes = 0;
  rules = 0;
  std::string defs = read_file(source("rules/definitions.rules"));
  bytes += defs.size();
  dir.file("definitions.rules", defs);
  for (int k = 1; k <= copies; ++k) {
    for (const fs::path& f : files) {
      std::string stem = f.stem().string();
      if (stem == "advise" || stem == "definitions") continue;
      std::istringstream in(read_file(f.string()));
      std::string out, line;
      while (std::getline(in, line)) {
        if (line.rfind("rule ", 0) == 0) {
          std::size_t b = line.find_first_not_of(' ', 5);
          std::size_t e = line.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_", b);
          line.insert(e == std::string::npos ? line.size() : e, "_k" + std::to_string(k));
          ++rules;
        } else if (line.rfind("if ", 0) == 0) {
          ++rules;
        }
        out += line + "\n";
      }
      std::string name = stem + "_" + std::to_string(k) + ".rules";
      dir.file(name, out);
      bytes += out.size();
      all += "include \"" + name + "\"\n";
    }
  }
  return dir.file("all.rules", all);
}

// Rules as advisors write them: the guide's own rules, loaded and checked as
// `run` holds them (text, checked form, warnings). 2,240 bytes a rule were
// measured for 667 bytes of text (3.4 times: the text itself once, its
// checked form, its line index and name; 2,406 when a text written in parts
// was copied whole); the bound leaves room for a standard library's growth
// policies. Below 2 MiB of text, the
// parsed trees kept until the declarations are known are freed by then.
TEST_CASE("the guide's rules hold a few times their text once loaded", "[limits][memory]") {
  auto held = [](int copies, std::size_t& rules, std::size_t& bytes) {
    TempDir t;
    std::string path = guide_copies(t, copies, rules, bytes);
    auto kb = bundled_kb();
    malloc_trim(0);
    long long before = static_cast<long long>(mallinfo2().uordblks);
    auto sm = std::make_shared<SourceManager>();
    Diagnostics d;
    std::optional<RuleSet> rs = load_rule_set({path}, kb, sm, d);
    REQUIRE(rs);
    REQUIRE(rs->rules.size() == rules);
    return static_cast<long long>(mallinfo2().uordblks) - before;
  };
  std::size_t rules1 = 0, bytes1 = 0, rules2 = 0, bytes2 = 0;
  long long heap1 = held(2, rules1, bytes1);
  long long heap2 = held(12, rules2, bytes2);
  double per_rule = static_cast<double>(heap2 - heap1) / static_cast<double>(rules2 - rules1);
  double text_per_rule = static_cast<double>(bytes2 - bytes1) / static_cast<double>(rules2 - rules1);
  INFO("heap a rule: " << per_rule << " bytes; text a rule: " << text_per_rule << " bytes");
  CHECK(text_per_rule > 600);
  CHECK(per_rule / text_per_rule < 3.75);
}

// The engine's index of the single-record rules' conjuncts (engine/conjuncts.hpp)
// holds a rule's conjuncts and its watch in flat rows: 16 bytes a rule were
// measured over 20,000 `if` rules (a vector a rule took about 70).
TEST_CASE("the conjunct index holds a few bytes a rule", "[limits][memory]") {
  std::optional<RuleSet> rs;
  heap_per_if_rule([&](const std::vector<std::string>& paths, const auto& kb, const auto& sm, Diagnostics& d) {
    rs = load_rule_set(paths, kb, sm, d);
    return rs ? rs->rules.size() : std::size_t{0};
  });
  REQUIRE(rs);
  malloc_trim(0);
  long long before = static_cast<long long>(mallinfo2().uordblks);
  ConjunctIndex x = index_conjuncts(*rs);
  long long per_rule = (static_cast<long long>(mallinfo2().uordblks) - before) / static_cast<long long>(rs->rules.size());
  INFO("conjunct index a rule: " << per_rule << " bytes");
  CHECK(x.conj_of.size() == rs->rules.size());
  CHECK(x.conj_of[0].size() == 1);
  CHECK(per_rule < 24);
}

// What `advise run` holds a firing rule beyond the rules (issue 10, item 13):
// the evaluation (the engine's scratch, a firing and a message each), the
// report (a message's entry: the rule by index, its texts read from the rule
// set) and the text report, written as it is made. 20,000 one-line `if`
// rules that all fire, each noting "x": 564 bytes a rule were measured at the
// peak (before the report stopped copying each rule's texts and the text
// report stopped being held whole, `run` took about 950 B a rule more than
// `check`: docs/benchmarks.md, "The run's own memory"); the bound leaves
// room for a standard library's growth policies.
TEST_CASE("an evaluation's heap a firing rule stays near its measured size", "[limits][memory]") {
  const int n = 20000;
  std::string text;
  for (int i = 0; i < n; ++i) text += "if step2ck > 5 then note \"x\"\n";
  auto rules = compile_rules(text, "m.rules");
  REQUIRE(rules->rules.size() == static_cast<std::size_t>(n));
  Profile profile = load_test_profile(R"({"step2ck": 250})");
  malloc_trim(0);
  long long before = static_cast<long long>(mallinfo2().uordblks);
  long long peak = 0;
  auto sample = [&] { peak = std::max(peak, static_cast<long long>(mallinfo2().uordblks)); };
  CountingBuf sink(false, sample);  // keeps none of it; samples the heap every 4 KiB
  {
    Engine engine(rules);
    Result result = engine.evaluate(profile);
    REQUIRE(result.messages.size() == static_cast<std::size_t>(n));
    Report report = build_report(result, {});
    sample();
    std::ostream out(&sink);
    render_text(out, report, *rules);
    out.flush();
    sample();
  }
  CHECK(sink.total > static_cast<std::size_t>(n) * 40);  // the report was written: about 66 bytes a note
  long long per_rule = (peak - before) / n;
  INFO("heap a firing rule at the peak: " << per_rule << " bytes");
  CHECK(per_rule < 680);
}
#endif

TEST_CASE("RuleTexts holds a rule's name, description and source in one block", "[limits][memory]") {
  CHECK(sizeof(RuleTexts) == sizeof(void*));
  RuleTexts none;
  CHECK(none.name().empty());
  CHECK(none.description().empty());
  CHECK(none.source().empty());
  RuleTexts t("rule_a", "A longer description, past any small-string buffer", "Part 2");
  CHECK(t.name() == "rule_a");
  CHECK(t.description() == "A longer description, past any small-string buffer");
  CHECK(t.source() == "Part 2");
  RuleTexts only_source("", "", "FAQ 3");
  CHECK(only_source.name().empty());
  CHECK(only_source.source() == "FAQ 3");
  RuleTexts copy = t;  // deep
  CHECK(copy.name() == "rule_a");
  CHECK(copy.name().data() != t.name().data());
  copy = only_source;
  CHECK(copy.source() == "FAQ 3");
  RuleTexts moved = std::move(copy);
  CHECK(moved.source() == "FAQ 3");
  CHECK(copy.name().empty());  // NOLINT(bugprone-use-after-move): moved from, it is empty or the other's
  copy = t;
  CHECK(copy.description() == t.description());
}

// `check --format json` writes its diagnostics a piece at a time (of about
// 64 KiB), never the whole document at once: a check of a large rule set
// (16 MiB of `if` rules, a warning each) held 1,085 MiB when the document was
// built whole, about 400 MiB now. The pieces make the same document.
TEST_CASE("check --format json is written in pieces, the same bytes", "[limits][memory]") {
  TempDir t;
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "if step2ck > 5 then note \"x\"\n";
  std::string path = t.file("m.rules", text);
  cli::CheckOptions o;
  o.paths = {path};
  o.format = "json";
  o.kb_dir = source("kb");
  CountingBuf buf;
  std::ostream out(&buf);
  std::ostringstream err;
  CHECK(cli::cmd_check(o, out, err) == 0);
  INFO("written " << buf.total << " bytes in " << buf.writes << " writes, the largest " << buf.largest);
  CHECK(buf.total > 1000000);
  CHECK(buf.largest < 80000);
  // The same document as one built whole (nlohmann's dump, as before).
  auto j = nlohmann::ordered_json::parse(buf.text);
  CHECK(j["warnings"] == 3000);
  CHECK(j["diagnostics"].size() == 3000);
  CHECK(json_terminal_safe(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "\n" == buf.text);
}

// A write of `check`'s diagnostics that fails is said once, as `run` says
// one (deliver_streamed), with exit 2; the rest of the output is dropped
// (before, the failure went unsaid and the exit was 0 or 1).
TEST_CASE("check: an output that refuses the diagnostics is an error, exit 2", "[limits]") {
  TempDir t;
  std::string path = t.file("m.rules", "if step2ck > 5 then note \"x\"\n");
  cli::CheckOptions o;
  o.paths = {path};
  o.kb_dir = source("kb");
  for (const char* format : {"json", "text"}) {
    INFO(format);
    o.format = format;
    std::ostream refusing(nullptr);
    std::ostringstream err;
    CHECK(cli::cmd_check(o, refusing, err) == 2);
    CHECK(err.str().rfind("<stdout>: error: cannot write the diagnostics: the stream refused the output\n", 0) == 0);
  }
}
