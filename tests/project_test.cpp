// Projects (app/common.hpp, docs/cli.md "Projects"): found upward from the
// current directory; `advise init` starts one; `advise new` scaffolds leave
// `check` and `test` passing; cases of one project are not run against the
// rules of another.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;
namespace fs = std::filesystem;

namespace {

// Runs the test body with the current directory at `dir`, then restores it.
struct InDir {
  fs::path before;
  explicit InDir(const fs::path& dir) : before(fs::current_path()) { fs::current_path(dir); }
  ~InDir() { fs::current_path(before); }
  InDir(const InDir&) = delete;
  InDir& operator=(const InDir&) = delete;
};

}  // namespace

TEST_CASE("project: found upward from the current directory, like git", "[project]") {
  TempDir dir;
  fs::create_directories(dir.path / "p" / "rules");
  fs::create_directories(dir.path / "p" / "a" / "b");
  dir.file("p/rules/x.rules", "if step2ck > 1 then note \"x\"\n");
  auto found = cli::find_project((dir.path / "p" / "a" / "b").string());
  REQUIRE(found);
  CHECK(fs::equivalent(*found, dir.path / "p"));
  // A rules/ folder without a .rules file is no project.
  fs::create_directories(dir.path / "q" / "rules");
  auto none = cli::find_project((dir.path / "q").string());
  CHECK((!none || !fs::equivalent(*none, dir.path / "q")));
}

TEST_CASE("project: init, new specialty, new rule, new case; check and test pass after each", "[project]") {
  TempDir dir;
  std::ostringstream out, err;
  cli::InitOptions init{(dir.path / "proj").string()};
  REQUIRE(cli::cmd_init(init, out, err) == 0);
  CHECK(err.str().empty());
  // Not over an existing folder.
  std::ostringstream out0, err0;
  CHECK(cli::cmd_init(init, out0, err0) == 2);
  CHECK(err0.str().find("already exists and is not an empty folder") != std::string::npos);

  InDir in(dir.path / "proj");
  auto check_and_test = [] {
    std::ostringstream o1, e1, o2, e2;
    cli::CheckOptions c;
    CHECK(cli::cmd_check(c, o1, e1) == 0);
    INFO(o1.str() << e1.str());
    CHECK(e1.str().find(": 0 errors") != std::string::npos);
    cli::TestOptions t;
    CHECK(cli::cmd_test(t, o2, e2) == 0);
    INFO(o2.str() << e2.str());
    CHECK(o2.str().find(" 0 failed") != std::string::npos);
    // The bundled cases include the program list's, which read catalog/program_list.rules too.
    CHECK(o2.str().find("advise test: rules rules, catalog/program_list.rules, knowledge base ") != std::string::npos);
  };
  check_and_test();

  cli::NewOptions n;
  n.what = "specialty";
  n.name = "vascular_surgery";
  n.display = "Vascular Surgery";
  n.klass = "competitive";
  std::ostringstream o3, e3;
  REQUIRE(cli::cmd_new(n, o3, e3) == 0);
  INFO(e3.str());
  CHECK(fs::exists("kb/specialties.json"));
  CHECK(read_file("kb/profile.schema.json").find("\"vascular_surgery\"") != std::string::npos);
  CHECK(read_file("tests/cases/vascular_surgery.cases").find("expect specialty_class == competitive") != std::string::npos);
  check_and_test();
  // The same specialty twice is refused, and nothing is written.
  std::ostringstream o4, e4;
  CHECK(cli::cmd_new(n, o4, e4) == 2);
  CHECK(e4.str().find("the specialty `vascular_surgery` is already in") != std::string::npos);

  n.what = "rule";
  n.name = "my_rule";
  std::ostringstream o5, e5;
  REQUIRE(cli::cmd_new(n, o5, e5) == 0);
  n.what = "case";
  n.name = "my_case";
  std::ostringstream o6, e6;
  REQUIRE(cli::cmd_new(n, o6, e6) == 0);
  check_and_test();
  n.name = "Bad-Id";
  std::ostringstream o7, e7;
  CHECK(cli::cmd_new(n, o7, e7) == 2);
}

TEST_CASE("project: the cases of one project are not run against the rules of another", "[project]") {
  TempDir dir;
  std::ostringstream out, err;
  cli::InitOptions a{(dir.path / "a").string()}, b{(dir.path / "b").string()};
  REQUIRE(cli::cmd_init(a, out, err) == 0);
  REQUIRE(cli::cmd_init(b, out, err) == 0);
  InDir in(dir.path / "a");
  cli::TestOptions t;
  t.paths = {(dir.path / "b" / "tests" / "cases").string()};
  std::ostringstream o, e;
  CHECK(cli::cmd_test(t, o, e) == 2);
  CHECK(e.str().find("belong to the project at") != std::string::npos);
  // Given explicitly, the other project's rules are used, and said so.
  t.rules = {(dir.path / "b" / "rules").string()};
  std::ostringstream o2, e2;
  CHECK(cli::cmd_test(t, o2, e2) == 0);
  CHECK(o2.str().find("advise test: rules " + (dir.path / "b" / "rules").string()) != std::string::npos);
}

TEST_CASE("project: a non-ultra specialty's backups are used when the project's rules say dual", "[project]") {
  // Issue 17: a competitive specialty whose kb entry lists backups, and a
  // project rule that dual-applies for it above the bundled single strategy
  // (priority 20). The guide's backups join backup_specialties
  // (backups_from_guide), and the bundled rule that lost the conflict leaves
  // no "one specialty" advice behind.
  TempDir dir;
  std::ostringstream out, err;
  cli::InitOptions init{(dir.path / "proj").string()};
  REQUIRE(cli::cmd_init(init, out, err) == 0);
  InDir in(dir.path / "proj");
  cli::NewOptions n;
  n.what = "specialty";
  n.name = "vascular_surgery";
  n.display = "Vascular Surgery";
  n.klass = "competitive";
  std::ostringstream o1, e1;
  REQUIRE(cli::cmd_new(n, o1, e1) == 0);
  auto kb = nlohmann::ordered_json::parse(read_file("kb/specialties.json"));
  REQUIRE(kb.contains("vascular_surgery"));
  kb["vascular_surgery"]["backups"] = nlohmann::ordered_json::array({"general_surgery"});
  std::ofstream("kb/specialties.json", std::ios::binary) << kb.dump(2) << "\n";
  std::ofstream("rules/vascular_dual.rules", std::ios::binary)
      << "rule vascular_dual \"Vascular surgery: dual-apply, with the kb's backups\"\n"
         "  source \"FAQ 4\"\n"
         "  priority 25\n"
         "  category application\n"
         "when specialty is vascular_surgery\n"
         "  and (match_status is missing or match_status in still_applying)\n"
         "then\n"
         "  set strategy = dual\n"
         "end\n";
  std::ofstream("applicant.json", std::ios::binary)
      << R"({"target_specialty": "vascular_surgery", "school_type": "img", "step2ck": 245})" << "\n";
  cli::RunOptions r;
  r.profile = "applicant.json";
  r.format = "json";
  std::ostringstream o2, e2;
  REQUIRE(cli::cmd_run(r, o2, e2) == 0);
  INFO(e2.str());
  auto rep = nlohmann::ordered_json::parse(o2.str());
  CHECK(rep["rules"] == nlohmann::ordered_json::parse(R"({"paths": ["rules"], "kb": "kb"})"));
  CHECK(rep["conclusions"]["strategy"] == "dual");
  CHECK(rep["conclusions"]["backup_specialties"] == nlohmann::ordered_json::parse(R"(["general_surgery"])"));
  REQUIRE(rep["conflicts"].size() == 1);
  for (const auto& rec : rep["recommendations"]) CHECK(rec["id"] != "single_specialty_not_ultra");
}
