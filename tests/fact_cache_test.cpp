// The catalog cache (dsl/fact_cache.hpp, docs/engine.md "Start-up"): a hit
// gives the records and messages a read of the text gives, exactly; a changed
// byte of the text, a changed template, a damaged, cut, foreign or old entry
// is never used (and the entry is written again); a file with an error makes
// no entry; no folder, no cache. Every test works in a folder of its own
// under the system's temporary folder, never in the user's cache.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "dsl/fact_cache.hpp"
#include "dsl/rule_cache.hpp"
#include "kb/template.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;
namespace fs = std::filesystem;

namespace {

struct Schema {
  KnowledgeBase kb;
  TemplateSet templates;
};

Schema load_schema() {
  Schema s{*bundled_kb(), {}};
  std::vector<DataError> errors;
  bool ok = load_templates(std::string(ADVISE_SOURCE_DIR) + "/kb/templates.json", s.kb, s.templates, errors);
  for (const auto& e : errors) UNSCOPED_INFO(e.text());
  REQUIRE(ok);
  return s;
}

const Schema& schema() {
  static const Schema s = load_schema();
  return s;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
}

struct Read {
  bool ok = false;
  std::vector<FactRecord> records;
  std::vector<DataError> messages;
  FactCacheNote note;
};

Read read_with(const std::string& dir, const std::string& path, const std::string& tmpl, const Schema& s = schema(),
               const std::string& binary = "test-binary") {
  Read r;
  r.ok = read_facts_file_cached(dir, binary, path, tmpl, s.kb, s.templates, r.records, r.messages, r.note);
  return r;
}

Read read_plain(const std::string& path, const std::string& tmpl, const Schema& s = schema()) {
  Read r;
  r.ok = read_facts_file(path, tmpl, s.kb, s.templates, r.records, r.messages);
  return r;
}

std::string message_texts(const std::vector<DataError>& m) {
  std::string out;
  for (const DataError& e : m) out += e.text() + "|" + e.path + "|" + std::to_string(static_cast<int>(e.kind)) + "|" +
                                      (e.warning ? "w" : "e") + "\n";
  return out;
}

// Equal records: template, every value, and where each came from.
void require_same(const Read& a, const Read& b) {
  REQUIRE(a.ok == b.ok);
  CHECK(message_texts(a.messages) == message_texts(b.messages));
  REQUIRE(a.records.size() == b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    const FactRecord& x = a.records[i];
    const FactRecord& y = b.records[i];
    INFO("record " << i);
    REQUIRE(x.tmpl == y.tmpl);
    REQUIRE(x.values.size() == y.values.size());
    for (std::size_t v = 0; v < x.values.size(); ++v) {
      INFO("value " << v);
      CHECK(x.values[v] == y.values[v]);
      CHECK(x.values[v].kind == y.values[v].kind);
    }
    REQUIRE(x.origin.file);
    REQUIRE(y.origin.file);
    CHECK(*x.origin.file == *y.origin.file);
    CHECK(x.origin.text() == y.origin.text());
  }
}

// A catalog of `n` records built from the bundled one, each row's program
// id given a sequence of its own (the id's last five digits), so that the
// keys stay unique and the codes right.
std::string big_catalog(std::size_t n) {
  std::string text = slurp(fs::path(ADVISE_SOURCE_DIR) / "examples/catalog/programs.csv");
  std::istringstream in(text);
  std::string line, head, out;
  std::vector<std::string> rows;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (head.empty()) {
      head = line;
      continue;
    }
    rows.push_back(line);
  }
  REQUIRE(!rows.empty());
  out = head + "\n";
  for (std::size_t i = 0; i < n; ++i) {
    std::string row = rows[i % rows.size()];
    REQUIRE(row.compare(0, 5, "true,") == 0);
    std::string seq = std::to_string(10000 + i);
    row.replace(5 + 5, 5, seq.substr(seq.size() - 5));
    out += row + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("catalog cache: a hit gives the records and messages of a read, for the bundled catalogs", "[fact_cache]") {
  TempDir dir;
  std::string cache = (dir.path / "cache").string();
  for (const auto& [file, tmpl] : {std::pair<std::string, std::string>{"programs.csv", "program"},
                                   std::pair<std::string, std::string>{"programs.json", ""}}) {
    INFO(file);
    std::string path = std::string(ADVISE_SOURCE_DIR) + "/examples/catalog/" + file;
    Read plain = read_plain(path, tmpl);
    REQUIRE(plain.ok);
    Read miss = read_with(cache, path, tmpl);
    CHECK(miss.note.outcome == FactCacheNote::Outcome::Written);
    require_same(plain, miss);
    REQUIRE(fs::exists(miss.note.file));
    Read hit = read_with(cache, path, tmpl);
    CHECK(hit.note.outcome == FactCacheNote::Outcome::Hit);
    require_same(plain, hit);
  }
}

TEST_CASE("catalog cache: warnings and unknown values come back as read, in one pass or two halves", "[fact_cache]") {
  TempDir dir;
  std::string cache = (dir.path / "cache").string();
  // The catalog of the regression cases with a warning (a program id whose
  // state code is not its state's), and unknown cells.
  std::string path = std::string(ADVISE_SOURCE_DIR) + "/tests/golden/test/catalog_warning_only/catalog.csv";
  Read plain = read_plain(path, "program");
  REQUIRE(plain.ok);
  bool warned = false;
  for (const DataError& e : plain.messages) warned = warned || e.warning;
  REQUIRE(warned);
  bool unknown = false;
  for (const FactRecord& r : plain.records)
    for (const Value& v : r.values) unknown = unknown || v.is_missing();
  REQUIRE(unknown);
  Read miss = read_with(cache, path, "program");
  CHECK(miss.note.outcome == FactCacheNote::Outcome::Written);
  Read hit = read_with(cache, path, "program");
  CHECK(hit.note.outcome == FactCacheNote::Outcome::Hit);
  require_same(plain, miss);
  require_same(plain, hit);

  // Enough records to be decoded in two halves, a relative path, a warning.
  std::string big = big_catalog(kFactCacheHalvesFrom * 2 + 1);
  std::string warning_row = slurp(path).substr(slurp(path).find("\ntrue,0803590001") + 1);
  warning_row = warning_row.substr(0, warning_row.find('\n'));
  fs::path csv = dir.path / "big.csv";
  spit(csv, big);
  // The warning's row has the columns of its own file: a file of its own header.
  std::string text = slurp(path);
  std::string header = text.substr(text.find("\nfictitious,") + 1);
  header = header.substr(0, header.find('\n'));
  std::string mixed = header + "\n" + warning_row + "\n";
  for (std::size_t i = 0; i < kFactCacheHalvesFrom * 2; ++i) {
    std::string row = warning_row;
    std::string id = std::to_string(1000 + i);
    row.replace(row.find("0803590001"), 10, "08003" + std::string(5 - id.size(), '0') + id);
    mixed += row + "\n";
  }
  fs::path warn = dir.path / "warn.csv";
  spit(warn, mixed);
  for (const fs::path& p : {csv, warn}) {
    INFO(p.string());
    Read p0 = read_plain(p.string(), "program");
    Read p1 = read_with(cache, p.string(), "program");
    Read p2 = read_with(cache, p.string(), "program");
    CHECK(p1.note.outcome == FactCacheNote::Outcome::Written);
    CHECK(p2.note.outcome == FactCacheNote::Outcome::Hit);
    require_same(p0, p1);
    require_same(p0, p2);
    if (p0.ok) CHECK(p0.records.size() > kFactCacheHalvesFrom * 2);
  }
}

TEST_CASE("catalog cache: one byte changed in the text, or a changed template, misses", "[fact_cache]") {
  TempDir dir;
  std::string cache = (dir.path / "cache").string();
  fs::path csv = dir.path / "programs.csv";
  std::string text = slurp(fs::path(ADVISE_SOURCE_DIR) / "examples/catalog/programs.csv");
  spit(csv, text);
  Read first = read_with(cache, csv.string(), "program");
  REQUIRE(first.ok);
  CHECK(read_with(cache, csv.string(), "program").note.outcome == FactCacheNote::Outcome::Hit);

  // One byte of a value (a letter of the last program's name): the same
  // length, the same time stamp even.
  auto mtime = fs::last_write_time(csv);
  std::size_t row = text.rfind("\ntrue,");
  REQUIRE(row != std::string::npos);
  std::size_t at = text.find(',', text.find(',', row + 1) + 1) + 1;  // the third cell
  if (text[at] == '"') ++at;
  std::string edited = text;
  edited[at] = edited[at] == 'Q' ? 'R' : 'Q';
  spit(csv, edited);
  fs::last_write_time(csv, mtime);
  Read after = read_with(cache, csv.string(), "program");
  CHECK(after.note.outcome == FactCacheNote::Outcome::Written);
  require_same(read_plain(csv.string(), "program"), after);
  CHECK_FALSE(first.records.back().values == after.records.back().values);
  CHECK(read_with(cache, csv.string(), "program").note.outcome == FactCacheNote::Outcome::Hit);

  // Another template: a range narrowed, an enum value added.
  Schema changed = load_schema();
  int t = changed.templates.find("program");
  REQUIRE(t >= 0);
  TemplateDef& program = changed.templates.templates[static_cast<std::size_t>(t)];
  int positions = program.field_index("positions");
  REQUIRE(positions >= 0);
  program.fields[static_cast<std::size_t>(positions)].def.max = 1000000;
  Read other = read_with(cache, csv.string(), "program", changed);
  CHECK(other.note.outcome == FactCacheNote::Outcome::Written);
  CHECK(fact_schema_hash(changed.kb, changed.templates) != fact_schema_hash(schema().kb, schema().templates));
  Schema more = load_schema();
  REQUIRE(!more.kb.enums.empty());
  more.kb.enums.back().values.push_back("zz_new_value");
  CHECK(fact_schema_hash(more.kb, more.templates) != fact_schema_hash(schema().kb, schema().templates));
  // Another binary.
  CHECK(read_with(cache, csv.string(), "program", schema(), "other-binary").note.outcome ==
        FactCacheNote::Outcome::Written);
}

TEST_CASE("catalog cache: a damaged, cut, foreign or old entry is ignored and written again", "[fact_cache]") {
  TempDir dir;
  std::string cache = (dir.path / "cache").string();
  std::string path = std::string(ADVISE_SOURCE_DIR) + "/examples/catalog/programs.csv";
  Read plain = read_plain(path, "program");
  Read first = read_with(cache, path, "program");
  REQUIRE(first.note.outcome == FactCacheNote::Outcome::Written);
  const std::string entry = slurp(first.note.file);
  REQUIRE(entry.size() > kFactCacheHeaderSize);

  int step = 0;
  auto damaged = [&](const std::string& bytes) {
    ++step;
    INFO("damage " << step);
    spit(first.note.file, bytes);
    Read r = read_with(cache, path, "program");
    INFO(r.note.why);
    CHECK(r.note.outcome == FactCacheNote::Outcome::Written);
    require_same(plain, r);
    CHECK(slurp(first.note.file) == entry);  // written again
    CHECK(read_with(cache, path, "program").note.outcome == FactCacheNote::Outcome::Hit);
  };
  damaged("");
  damaged(entry.substr(0, entry.size() / 2));
  damaged(entry.substr(0, kFactCacheHeaderSize - 1));
  damaged(entry + "x");
  std::string flipped = entry;
  flipped[entry.size() / 3] = static_cast<char>(flipped[entry.size() / 3] ^ 0x40);
  damaged(flipped);
  std::string magic = entry;
  magic[0] = 'X';
  damaged(magic);
  damaged(std::string(entry.size(), '\xff'));
  // An old format version, with its checksums right.
  std::string old = entry;
  old[8] = static_cast<char>(old[8] - 1);
  reseal_fact_cache(old);
  damaged(old);
  // A rule cache entry's magic in the file's place.
  std::string foreign = entry;
  std::memcpy(foreign.data(), "ADVRULES", 8);
  reseal_fact_cache(foreign);
  damaged(foreign);

  // Checks past the checksum: bytes changed and the entry resealed are
  // refused, never a crash or wrong records (every byte of the payload's
  // first kilobyte and some after, each set to 0xff).
  FactCacheKey key;
  {
    Read r = read_with(cache, path, "program");
    REQUIRE(r.note.outcome == FactCacheNote::Outcome::Hit);
  }
  key.binary_id = "test-binary";
  key.path = path;
  key.template_name = "program";
  key.schema = fact_schema_hash(schema().kb, schema().templates);
  std::string text = slurp(path);
  key.text_hash = fact_text_hash(text);
  key.text_size = text.size();
  {
    std::vector<FactRecord> out;
    std::vector<DataError> msgs;
    std::string why;
    REQUIRE(decode_fact_cache(entry, key, schema().kb, schema().templates, out, msgs, why));
    require_same(plain, Read{true, std::move(out), std::move(msgs), {}});
  }
  for (std::size_t i = kFactCacheHeaderSize; i < entry.size(); i += i < kFactCacheHeaderSize + 1024 ? 1 : 997) {
    std::string bytes = entry;
    if (bytes[i] == '\xff') continue;
    bytes[i] = '\xff';
    reseal_fact_cache(bytes);
    std::vector<FactRecord> out(1);  // what was there stays, alone, on a failure
    std::vector<DataError> msgs;
    std::string why;
    if (!decode_fact_cache(bytes, key, schema().kb, schema().templates, out, msgs, why)) {
      CHECK(out.size() == 1);
      CHECK(msgs.empty());
      CHECK(!why.empty());
    } else {
      CHECK(out.size() == plain.records.size() + 1);  // a changed number or text: still well formed
    }
  }
  // Another key: refused before anything is read.
  FactCacheKey other = key;
  other.text_hash ^= 1;
  std::vector<FactRecord> out;
  std::vector<DataError> msgs;
  std::string why;
  CHECK_FALSE(decode_fact_cache(entry, other, schema().kb, schema().templates, out, msgs, why));
  CHECK(out.empty());
}

TEST_CASE("catalog cache: a file with an error makes no entry; no folder, no cache; a folder that cannot be written is "
          "skipped",
          "[fact_cache]") {
  TempDir dir;
  std::string cache = (dir.path / "cache").string();
  std::string bad = std::string(ADVISE_SOURCE_DIR) + "/tests/golden/test/catalog_warning/catalog.csv";
  Read plain = read_plain(bad, "program");
  REQUIRE_FALSE(plain.ok);
  Read r = read_with(cache, bad, "program");
  CHECK(r.note.outcome == FactCacheNote::Outcome::NotWritten);
  require_same(plain, r);
  CHECK_FALSE(fs::exists(r.note.file));
  // A missing file: the same message as without a cache.
  std::string missing = (dir.path / "none.csv").string();
  require_same(read_plain(missing, "program"), read_with(cache, missing, "program"));
  // No folder (--no-cache, ADVISE_NO_CACHE): nothing written anywhere.
  std::string path = std::string(ADVISE_SOURCE_DIR) + "/examples/catalog/programs.csv";
  Read off = read_with("", path, "program");
  CHECK(off.note.outcome == FactCacheNote::Outcome::Off);
  require_same(read_plain(path, "program"), off);
  // A folder that cannot be made or written: the read is the same.
  fs::path file = dir.path / "a-file";
  spit(file, "x");
  Read blocked = read_with((file / "cache").string(), path, "program");
  CHECK(blocked.note.outcome == FactCacheNote::Outcome::NotWritten);
  require_same(read_plain(path, "program"), blocked);
  if (::geteuid() != 0) {  // root writes anywhere
    fs::path ro = dir.path / "ro";
    fs::create_directories(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    Read r2 = read_with(ro.string(), path, "program");
    CHECK(r2.note.outcome == FactCacheNote::Outcome::NotWritten);
    require_same(read_plain(path, "program"), r2);
    fs::permissions(ro, fs::perms::owner_all);
  }
}

TEST_CASE("catalog cache: processes reading and writing one entry at once see a whole entry or none",
          "[fact_cache]") {
  TempDir dir;
  std::string cache = (dir.path / "cache").string();
  std::string path = std::string(ADVISE_SOURCE_DIR) + "/examples/catalog/programs.csv";
  Read plain = read_plain(path, "program");
  std::vector<std::thread> threads;
  std::vector<int> same(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        Read r = read_with(cache, path, "program");
        bool eq = r.ok && r.records.size() == plain.records.size() &&
                  message_texts(r.messages) == message_texts(plain.messages);
        for (std::size_t k = 0; eq && k < r.records.size(); ++k) eq = r.records[k].values == plain.records[k].values;
        same[static_cast<std::size_t>(t)] += eq ? 1 : 0;
      }
    });
  for (auto& th : threads) th.join();
  for (int s : same) CHECK(s == 5);
  // No temporary file is left.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(cache)) {
    ++files;
    CHECK(is_rule_cache_name(e.path().filename().string(), false, "facts-"));
  }
  CHECK(files == 1);
}
