// The command functions behind `advise` (app/commands.hpp), called directly:
// what the golden tests cannot hold in a committed file (inputs over the size
// limit, output identical whatever the number of threads), and the exact
// records of `advise batch`; and, running the real binary twice as separate
// processes, that its output is the same bytes every time.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "kb/profile.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;
using namespace advise::cli;
namespace fs = std::filesystem;

namespace {

// The commands log through spdlog; the CLI shows warnings only unless -v.
[[maybe_unused]] const bool quiet_logs = [] {
  spdlog::set_level(spdlog::level::warn);
  return true;
}();

BatchOptions batch_options(const std::string& input) {
  BatchOptions o;
  o.input = input;
  o.kb_dir = source("kb");
  o.rules = {source("rules")};
  o.progress = false;
  o.timing = false;
  return o;
}

struct Ran {
  int code;
  std::string out, err;
};

Ran batch(const BatchOptions& o) {
  std::ostringstream out, err;
  int code = cmd_batch(o, out, err);
  return {code, out.str(), err.str()};
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string example_line(const std::string& extra = "") {
  std::string text = read_file(source("examples/profiles/example.json"));
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
  if (!extra.empty()) {
    auto e = nlohmann::ordered_json::parse(extra);
    for (auto it = e.begin(); it != e.end(); ++it) j[it.key()] = it.value();
  }
  return j.dump();
}

}  // namespace

TEST_CASE("batch: one record per line, in order; bad lines become error records and the batch goes on") {
  TempDir dir;
  std::string input = example_line(R"({"x_id": "A1"})") + "\n" +   // 1
                      "{\"step2_ck\": 250}\n" +                       // 2
                      "\n" +                                          // 3
                      "{\"stage\": tru}\r\n" +                        // 4
                      "{\"target_specialty\": \"dermatolgy\"}\n" +    // 5
                      "[1]\n" +                                       // 6
                      example_line(R"({"x_id": "A7"})");              // 7, no final newline
  Ran r = batch(batch_options(dir.file("in.jsonl", input)));
  CHECK(r.code == 1);
  CHECK(r.err == "batch: 2 ok, 4 failed, 1 empty skipped, 7 lines\n");
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 7);
  CHECK(lines[0].rfind(R"({"line":1,"carried":{"x_id":"A1"},"schema_version":1,"profile":{"source":")", 0) == 0);
  auto report = nlohmann::ordered_json::parse(lines[0]);
  CHECK(report["profile"]["source"] == dir.path.string() + "/in.jsonl:1");
  CHECK(report["conclusions"]["specialty_class"] == "ultra");
  CHECK(lines[1] == R"J({"line":2,"errors":[{"path":"$.step2_ck","column":2,"message":"unknown field `step2_ck` )J"
                    R"J((prefix it with `x_` to carry a field Advise should ignore)","suggestion":"step2ck"}]})J");
  CHECK(lines[2] == R"({"line":3,"skipped":"empty line"})");
  CHECK(lines[3] == R"J({"line":4,"errors":[{"path":null,"column":11,"message":"invalid JSON: `tru` is not a JSON )J"
                    R"J(value (texts need double quotes; the words JSON knows are true, false and null)","suggestion":null}]})J");
  CHECK(lines[4] == R"J({"line":5,"errors":[{"path":"$.target_specialty","column":22,"message":"unknown specialty )J"
                    R"J(`dermatolgy`","suggestion":"dermatology"}]})J");
  CHECK(lines[5] == R"J({"line":6,"errors":[{"path":"$","column":1,"message":"expected a JSON object of profile )J"
                    R"J(fields, like {\"stage\": \"ms3\", \"step2ck\": 251}, found a list","suggestion":null}]})J");
  CHECK(lines[6].rfind(R"({"line":7,"carried":{"x_id":"A7"},)", 0) == 0);
}

TEST_CASE("batch: a line over the size limit is refused with its size, and the next line still runs") {
  TempDir dir;
  std::string big = "{\"x_pad\": \"" + std::string(kMaxProfileBytes + 100, 'a') + "\"}";
  std::string input = big + "\n" + example_line() + "\n";
  Ran r = batch(batch_options(dir.file("big.jsonl", input)));
  CHECK(r.code == 1);
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == R"J({"line":1,"errors":[{"path":null,"column":null,"message":"the line is 1,048,689 bytes; )J"
                    R"J(a profile may be at most 1 MiB (1,048,576 bytes)","suggestion":null}]})J");
  CHECK(lines[1].rfind(R"({"line":2,"carried":{},)", 0) == 0);
  CHECK(r.err == "batch: 1 ok, 1 failed, 2 lines\n");
}

TEST_CASE("batch: a line of exactly the limit is read, with or without \\r\\n") {
  TempDir dir;
  std::string fits = "{\"x_pad\": \"" + std::string(kMaxProfileBytes - 13, 'a') + "\"}";
  REQUIRE(fits.size() == kMaxProfileBytes);
  Ran r = batch(batch_options(dir.file("fits.jsonl", fits + "\r\n" + fits + "\n")));
  CHECK(r.err == "batch: 2 ok, 0 failed, 2 lines\n");
  CHECK(r.code == 0);
}

TEST_CASE("batch: the output is the same, byte for byte, on one thread and on many", "[concurrency]") {
  TempDir dir;
  std::string input;
  const char* variants[] = {R"({"target_specialty": "dermatology", "step2ck": 262})",
                            R"({"target_specialty": "orthopedic_surgery", "stage": "ms4"})",
                            R"({"step2ck": 9999})",
                            "",
                            R"({"target_specialty": "psychiatry", "publications": 1})",
                            "not json"};
  for (int i = 0; i < 400; ++i) {
    std::string v = variants[i % 6];
    if (!v.empty() && v[0] == '{') v = v.substr(0, v.size() - 1) + ", \"x_n\": " + std::to_string(i) + "}";
    input += v + "\n";
  }
  std::string path = dir.file("many.jsonl", input);
  BatchOptions one = batch_options(path);
  Ran a = batch(one);
  BatchOptions many = one;
  many.jobs = 4;
  Ran b = batch(many);
  BatchOptions all = one;
  all.jobs = 0;
  Ran c = batch(all);
  CHECK(lines_of(a.out).size() == 400);
  CHECK(a.out == b.out);
  CHECK(a.out == c.out);
  CHECK(a.err == "batch: 200 ok, 133 failed, 67 empty skipped, 400 lines\n");
  CHECK(b.err == a.err);
  CHECK(a.code == 1);
}

// Schema 2 back to schema 1: every rule named in a record replaced by its
// object from the header's rule table (the keys where schema 1 has a rule
// object or a list of them).
void inline_rules(nlohmann::ordered_json& j, const nlohmann::ordered_json& table) {
  static const std::vector<std::string> rule_keys{"rule", "cited_by", "kept_by", "rejected_by"};
  auto object_of = [&](const nlohmann::ordered_json& name) {
    if (!name.is_string()) return name;
    nlohmann::ordered_json r = {{"name", name}};
    for (auto it = table[name.get<std::string>()].begin(); it != table[name.get<std::string>()].end(); ++it)
      r[it.key()] = it.value();
    return r;
  };
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (std::find(rule_keys.begin(), rule_keys.end(), it.key()) != rule_keys.end()) {
        it.value() = object_of(it.value());
      } else if (it.key() == "also" && it.value().is_array()) {
        for (auto& a : it.value()) a = object_of(a);
      } else {
        inline_rules(it.value(), table);
      }
    }
  } else if (j.is_array()) {
    for (auto& x : j) inline_rules(x, table);
  }
}

TEST_CASE("batch: --rules-once writes the rule table once, and the records name rules (schema 2)") {
  TempDir dir;
  std::string path = dir.file("in.jsonl", example_line() + "\n\n{\"stage\": 1}\n" + example_line() + "\n");
  BatchOptions o = batch_options(path);
  Ran plain = batch(o);
  o.rules_once = true;
  Ran once = batch(o);
  o.jobs = 3;
  Ran threads = batch(o);
  CHECK(once.out == threads.out);
  CHECK(once.err == plain.err);
  CHECK(once.code == plain.code);
  auto a = lines_of(plain.out), b = lines_of(once.out);
  REQUIRE(a.size() == 4);
  REQUIRE(b.size() == 5);
  // The header: the format, the report schema, every rule of the set once.
  auto header = nlohmann::ordered_json::parse(b[0]);
  CHECK(b[0].rfind(R"({"advise_batch":2,"schema_version":2,"rule_table":{"class_of_target":{"description":)", 0) == 0);
  CHECK(header["rule_table"]["class_of_target"].dump() ==
        R"({"description":"Look up how competitive the target specialty is","guide":"Understanding the realities 1",)"
        R"("file":")" + source("rules") + R"(/realities.rules","line":8,"priority":30})");
  // Each record is the schema 1 record with rule names for rule objects:
  // put the objects back and the records are equal. Errors and skipped
  // lines are the same as before.
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(i);
    auto one = nlohmann::ordered_json::parse(a[i]);
    auto two = nlohmann::ordered_json::parse(b[i + 1]);
    if (one.contains("schema_version")) {
      CHECK(two["schema_version"] == 2);
      CHECK(two["recommendations"][0]["rule"].is_string());
      two["schema_version"] = 1;
      inline_rules(two, header["rule_table"]);
      CHECK(b[i + 1].size() * 10 < a[i].size() * 8);  // at least a fifth smaller
    }
    CHECK(two == one);
  }
}

TEST_CASE("batch: an empty input is an empty batch") {
  TempDir dir;
  Ran r = batch(batch_options(dir.file("empty.jsonl", "")));
  CHECK(r.code == 0);
  CHECK(r.out.empty());
  CHECK(r.err == "batch: 0 ok, 0 failed, 0 lines\n");
}

TEST_CASE("batch: a missing input, a directory, a bad --jobs are bad usage") {
  TempDir dir;
  Ran missing = batch(batch_options((dir.path / "nope.jsonl").string()));
  CHECK(missing.code == 2);
  CHECK(missing.err == (dir.path / "nope.jsonl").string() + ": error: no such file\n");
  CHECK(missing.out.empty());
  Ran directory = batch(batch_options(dir.path.string()));
  CHECK(directory.code == 2);
  CHECK(directory.err == dir.path.string() + ": error: is a directory; give a JSON Lines file (one profile a line)\n");
  BatchOptions o = batch_options(dir.file("in.jsonl", "{}\n"));
  o.jobs = -1;
  Ran jobs = batch(o);
  CHECK(jobs.code == 2);
  CHECK(jobs.err == "advise batch: --jobs must be 0 (every core) or more\n");
}

TEST_CASE("batch: --output is written whole, and only when the batch is complete") {
  TempDir dir;
  BatchOptions o = batch_options(dir.file("in.jsonl", example_line() + "\n{\"stage\": 1}\n"));
  o.output = (dir.path / "out.jsonl").string();
  std::ostringstream out, err;
  CHECK(cmd_batch(o, out, err) == 1);
  CHECK(out.str().empty());
  auto lines = lines_of(read_file(o.output));
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].rfind(R"({"line":2,"errors":)", 0) == 0);
  // No temporary file left beside it.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 2);

  o.output = dir.path.string();
  std::ostringstream out2, err2;
  CHECK(cmd_batch(o, out2, err2) == 2);
  CHECK(err2.str() == dir.path.string() + ": error: cannot write the results: it is a directory; give a file to write\n");
}

TEST_CASE("run: a profile over the size limit is refused with a clear message") {
  TempDir dir;
  std::string big = "{\"x_pad\": \"" + std::string(kMaxProfileBytes, 'a') + "\"}";
  RunOptions o;
  o.profile = dir.file("big.json", big);
  o.kb_dir = source("kb");
  o.rules = {source("rules")};
  std::ostringstream out, err;
  CHECK(cmd_run(o, out, err) == 2);
  CHECK(out.str().empty());
  CHECK(err.str() == o.profile + ": error: the file is 1,048,589 bytes; it may be at most 1 MiB (1,048,576 bytes)\n");
}

TEST_CASE("schema: advise schema prints the committed kb/profile.schema.json") {
  SchemaOptions o;
  o.kb_dir = source("kb");
  std::ostringstream out, err;
  CHECK(cmd_schema(o, out, err) == 0);
  CHECK(err.str().empty());
  CHECK(out.str() == read_file(source("kb/profile.schema.json")));
}

namespace {

// read_input("-") with standard input replaced by `text`; also how far it read.
struct StdinRead {
  bool ok;
  std::string out, error;
  std::streamoff consumed;
};
StdinRead read_stdin(const std::string& text) {
  std::istringstream in(text);
  std::streambuf* saved = std::cin.rdbuf(in.rdbuf());
  StdinRead r{};
  r.ok = read_input("-", kMaxProfileBytes, r.out, r.error);
  std::cin.rdbuf(saved);
  std::cin.clear();
  in.clear();
  r.consumed = in.tellg();
  return r;
}

}  // namespace

TEST_CASE("read_input: standard input over the limit is refused without reading it all") {
  StdinRead r = read_stdin(std::string(3'000'000, 'a'));
  CHECK_FALSE(r.ok);
  CHECK(r.out.empty());
  CHECK(r.error == "the input is more than 1,048,576 bytes; it may be at most 1 MiB (1,048,576 bytes)");
  // It stopped within one 64 KiB read past the limit.
  CHECK(r.consumed <= static_cast<std::streamoff>(kMaxProfileBytes + 65536));
}

TEST_CASE("read_input: standard input at the limit is read whole") {
  StdinRead r = read_stdin(std::string(kMaxProfileBytes, 'a'));
  CHECK(r.ok);
  CHECK(r.out.size() == kMaxProfileBytes);
  CHECK(r.error.empty());
  CHECK(r.consumed == static_cast<std::streamoff>(kMaxProfileBytes));
}

// ---------------------------------------------------------------- determinism across processes

namespace {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct Process {
  int code;
  std::string out, err;
};

// The `advise` binary of this build (ADVISE_BINARY), run as a process of its
// own with ADVISE_HOME at the source tree; its output goes through files in `dir`.
Process run_advise(const TempDir& dir, const std::vector<std::string>& args) {
  std::string out = (dir.path / "stdout").string(), err = (dir.path / "stderr").string();
  std::string command = "ADVISE_HOME=" + shell_quote(ADVISE_SOURCE_DIR) + " " + shell_quote(ADVISE_BINARY);
  for (const std::string& a : args) command += " " + shell_quote(a);
  command += " </dev/null >" + shell_quote(out) + " 2>" + shell_quote(err);
  int status = std::system(command.c_str());
  INFO(command);
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), read_file(out), read_file(err)};
}

}  // namespace

// In one process, a result that depended on addresses (a container ordered by
// pointer, a hash of one) or on the state a previous run left could repeat
// itself; two processes, with the addresses laid out afresh, cannot hide it.
TEST_CASE("determinism: two separate `advise` processes print the same bytes, for every view of several profiles") {
  TempDir dir;
  const char* profiles[] = {"example.json", "derm_long_shot.json", "sparse.json", "step1_failure.json",
                            "matched_gs_after_ortho.json"};
  const std::vector<std::vector<std::string>> views = {
      {"--explain"}, {"--trace"}, {"--why-not", "strategy=single"}, {"--format", "json", "--explain"},
      {"--format", "markdown", "--explain"}, {"--format", "dot"}};
  for (const char* p : profiles) {
    for (const auto& view : views) {
      std::vector<std::string> args = view;
      args.push_back(source(std::string("examples/profiles/") + p));
      Process first = run_advise(dir, args);
      Process second = run_advise(dir, args);
      INFO(p << " " << view[0]);
      CHECK(first.code == 0);
      CHECK(first.err.empty());
      CHECK(first.out.size() > 100);
      CHECK(second.code == first.code);
      CHECK(second.out == first.out);
      CHECK(second.err == first.err);
    }
  }
}

TEST_CASE("determinism: two separate `advise batch -j 4` and `advise test --coverage` processes print the same bytes") {
  TempDir dir;
  std::string jsonl;
  for (const auto& e : fs::directory_iterator(source("examples/profiles")))
    jsonl += nlohmann::ordered_json::parse(read_file(e.path().string())).dump() + "\n";
  std::string input = dir.file("all.jsonl", jsonl);
  const std::vector<std::vector<std::string>> commands = {
      {"batch", "--no-timing", "-j", "4", input},
      {"test", "--coverage", source("tests/cases")},
      {"test", "--coverage-format", "json", source("tests/cases")}};
  for (const auto& args : commands) {
    Process first = run_advise(dir, args);
    Process second = run_advise(dir, args);
    INFO(args[0] << " " << args[1]);
    CHECK(first.code == 0);
    CHECK(first.out.size() > 100);
    CHECK(second.code == first.code);
    CHECK(second.out == first.out);
    CHECK(second.err == first.err);
  }
}
