// Templates (kb/template.hpp) and the readers of facts (kb/facts.hpp): the
// bundled catalog in both formats, CLIPS facts, and the exact messages an
// advisor sees for each kind of bad input. Inline samples only: nothing here
// reads ../shared.
#include <catch2/catch.hpp>

#include <functional>

#include "kb/facts.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

// The bundled kb with kb/templates.json loaded.
struct Catalog {
  KnowledgeBase kb;
  TemplateSet templates;
  int program = -1;
};

const Catalog& catalog() {
  static const Catalog c = [] {
    Catalog out{*bundled_kb(), {}, -1};
    std::vector<DataError> errors;
    bool ok = load_templates(std::string(ADVISE_SOURCE_DIR) + "/kb/templates.json", out.kb, out.templates, errors);
    for (const auto& e : errors) UNSCOPED_INFO(e.text());
    REQUIRE(ok);
    out.program = out.templates.find("program");
    return out;
  }();
  return c;
}

std::string texts(const std::vector<DataError>& errors) {
  std::string out;
  for (const DataError& e : errors) out += e.text() + "\n";
  return out;
}

// Every problem of a CSV text of programs, one line each, as `advise` prints them.
std::string csv_problems(const std::string& text) {
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  CHECK_FALSE(read_facts_csv(text, "p.csv", catalog().kb, catalog().templates, catalog().program, out, errors));
  CHECK(out.empty());
  return texts(errors);
}

std::string json_problems(const std::string& text) {
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  CHECK_FALSE(read_facts_json(text, "p.json", catalog().kb, catalog().templates, out, errors));
  CHECK(out.empty());
  return texts(errors);
}

std::vector<FactRecord> csv_records(const std::string& text) {
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  bool ok = read_facts_csv(text, "p.csv", catalog().kb, catalog().templates, catalog().program, out, errors);
  INFO(texts(errors));
  CHECK(ok);
  return out;
}

const std::string kHead = "program_id,name,specialty,track,source,retrieved\n";
const std::string kRow = "0800390001,Derm A,dermatology,advanced,https://a.example.org,2025-07-03\n";

const Value& field(const FactRecord& r, const char* name) {
  int i = catalog().templates.templates[static_cast<std::size_t>(r.tmpl)].field_index(name);
  REQUIRE(i >= 0);
  return r.values[static_cast<std::size_t>(i)];
}

// The templates of the CLIPS benchmarks' facts, declared as a kb would.
const char* kGuestTemplates = R"({
  "enums": {"sex": ["m", "f"]},
  "templates": {
    "guest": {"doc": "a guest to seat", "fields": {
      "name": {"type": "string", "required": true}, "sex": {"type": "sex"}, "hobby": {"type": "string"}}},
    "last_seat": {"doc": "the number of seats", "fields": {"seat": {"type": "integer", "min": 1}}},
    "line": {"doc": "a line of a drawing", "fields": {"p1": {"type": "integer"}, "p2": {"type": "integer"}}}
  }
})";

struct Guests {
  KnowledgeBase kb;
  TemplateSet templates;
};

const Guests& guests() {
  static const Guests g = [] {
    Guests out{*bundled_kb(), {}};
    std::vector<DataError> errors;
    bool ok = load_templates_text(kGuestTemplates, "guests.json", out.kb, out.templates, errors);
    for (const auto& e : errors) UNSCOPED_INFO(e.text());
    REQUIRE(ok);
    return out;
  }();
  return g;
}

std::string clips_problems(const std::string& text) {
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  CHECK_FALSE(read_facts_clips(text, "g.fct", guests().kb, guests().templates, out, errors));
  return texts(errors);
}

std::string template_problems(const std::string& text) {
  KnowledgeBase kb = *bundled_kb();
  TemplateSet set;
  std::vector<DataError> errors;
  CHECK_FALSE(load_templates_text(text, "t.json", kb, set, errors));
  CHECK(set.templates.empty());
  return texts(errors);
}

}  // namespace

// ------------------------------------------------------------------ templates

TEST_CASE("templates: kb/templates.json declares the program template of docs/catalog.md", "[facts]") {
  const TemplateDef& t = catalog().templates.templates.at(static_cast<std::size_t>(catalog().program));
  CHECK(t.doc == "A residency program: one record per program and track (docs/catalog.md)");
  std::string names;
  for (const TemplateField& f : t.fields) names += f.name() + (f.required ? "*" : "") + " ";
  CHECK(names ==
        "fictitious program_id* name* institution city state census_division specialty* track* positions setting "
        "img_policy us_img_residents img_residents total_residents classes_counted step2ck_min step2ck_cutoff "
        "max_attempts max_years_since_graduation us_clinical_experience research_intensity takes_signals "
        "offers_research_year source* retrieved* verified_by step2ck_min_none max_attempts_none "
        "max_years_since_graduation_none ");
  REQUIRE(t.key.size() == 2);
  CHECK(t.fields[static_cast<std::size_t>(t.key[0])].name() == "program_id");
  CHECK(t.fields[static_cast<std::size_t>(t.key[1])].name() == "track");
  const TemplateField& min = t.fields[static_cast<std::size_t>(t.field_index("step2ck_min"))];
  CHECK(min.accepts_none);
  CHECK(t.fields[static_cast<std::size_t>(min.none_flag)].name() == "step2ck_min_none");
  CHECK(catalog().kb.type_name(min.def.type) == "integer");
  CHECK(catalog().kb.type_name(t.fields[static_cast<std::size_t>(t.field_index("img_policy"))].def.type) ==
        "img_policy");
  CHECK(t.fields[static_cast<std::size_t>(t.field_index("program_id"))].display == "ACGME program id");
}

TEST_CASE("templates: no templates file declares `specialty`, the knowledge base's template", "[facts][specialty]") {
  CHECK(template_problems("{\"templates\": {\"specialty\": {\"doc\": \"d\", \"fields\": {\"id\": {\"type\": \"string\", "
                          "\"required\": true}}}}}") ==
        "t.json:1:16: error: at $.templates.specialty: `specialty` is the knowledge base's template of its "
        "specialties (kb/specialties.json); choose another name\n");
}

TEST_CASE("templates: a bad templates file is reported with line, column, path and suggestions", "[facts]") {
  CHECK(template_problems(R"({
  "enums": {"stage": ["a"], "sex": ["m", "m"]},
  "templates": {
    "guest": {
      "doc": "a guest",
      "key": ["nmae"],
      "fields": {
        "name": {"type": "string", "requried": true},
        "age": {"type": "integr"},
        "sex": {"type": "sex", "min": 1},
        "seat": {"type": {"list": "integer"}}
      }
    }
  },
  "tempaltes": {}
})") == "t.json:2:13: error: at $.enums.stage: the enum `stage` is already defined\n"
        "t.json:2:36: error: at $.enums.sex: the value `m` appears twice in the enum `sex`\n"
        "t.json:6:15: error: at $.templates.guest.key[0]: expected the name of a field of `guest`\n"
        "t.json:8:36: error: at $.templates.guest.fields.name.requried: unknown field attribute `requried` (type, "
        "description, display, required, default, none, min, max, format, digits, derive); did you mean "
        "`required`?\n"
        "t.json:9:25: error: at $.templates.guest.fields.age.type: unknown type `integr` (integer, number, boolean, "
        "string or an enum)\n"
        "t.json:10:39: error: at $.templates.guest.fields.sex.min: `min` applies to integer and number fields only\n"
        "t.json:11:26: error: at $.templates.guest.fields.seat.type: a template field's type is a name: integer, "
        "number, boolean, string or an enum (a template field holds one value, not a list or a map)\n"
        "t.json:15:3: error: at $.tempaltes: unknown key `tempaltes` (a templates file holds `enums` and "
        "`templates`; keys starting with `$` are comments); did you mean `templates`?\n");
  CHECK(template_problems("{\"templates\": {\"x\": {\"doc\": \"d\", \"fields\": {\"a\": {\"type\": \"integer\"}, "
                          "\"a_none\": {\"type\": \"boolean\"}, \"b\": {\"type\": \"string\", \"none\": true}}, "
                          "\"key\": [\"a\"]}}}") ==
        "t.json:1:134: error: at $.templates.x.fields.b.none: only a number field may accept `none`\n"
        "t.json:1:150: error: at $.templates.x.key[0]: a key field must be required (`\"required\": true`): a record "
        "without its key cannot be named\n");
  CHECK(template_problems("{\"templates\": {\"x\": {\"doc\": \"d\", \"fields\": {\"a\": {\"type\": \"integer\", "
                          "\"none\": true}, \"a_none\": {\"type\": \"boolean\"}}}}}") ==
        "t.json:1:85: error: at $.templates.x.fields.a_none: `a_none` is the field that records `none` for `a`; "
        "name this field otherwise\n");
}

// ------------------------------------------------------------------ the bundled catalog

TEST_CASE("facts: the bundled catalog reads from CSV and from JSON to the same records", "[facts]") {
  std::vector<DataError> errors;
  std::vector<FactRecord> from_csv, from_json;
  const std::string dir = std::string(ADVISE_SOURCE_DIR) + "/examples/catalog/";
  REQUIRE(read_facts_file(dir + "programs.csv", "program", catalog().kb, catalog().templates, from_csv, errors));
  REQUIRE(read_facts_file(dir + "programs.json", "", catalog().kb, catalog().templates, from_json, errors));
  CHECK(texts(errors).empty());
  REQUIRE(from_csv.size() == 360);
  REQUIRE(from_json.size() == 360);
  for (std::size_t i = 0; i < from_csv.size(); ++i) {
    INFO(from_csv[i].origin.text());
    CHECK(from_csv[i].values == from_json[i].values);
  }
  CHECK(from_csv[0].origin.text() == dir + "programs.csv:3:1 (row 3)");
  CHECK(from_json[0].origin.text() == dir + "programs.json:4:3 ($.program[0])");
  CHECK(fact_key_text(catalog().kb, catalog().templates, from_csv[0]) ==
        "program_id 0800390001, track advanced");
  // The second record, as docs/catalog.md shows it.
  CHECK(fact_to_json(catalog().kb, catalog().templates, from_csv[1]).dump() ==
        R"({"template":"program","fictitious":true,"program_id":"0800390002","name":"University of Corrinmoor Health Dermatology Residency",)"
        R"("institution":"University of Corrinmoor Health","city":"Corrinmoor","state":"AZ","census_division":"mountain",)"
        R"("specialty":"dermatology","track":"advanced","positions":3,"img_policy":"does_not_consider","step2ck_min":245,)"
        R"("step2ck_cutoff":"hard","max_years_since_graduation":3,"us_clinical_experience":"required","research_intensity":"high",)"
        R"("takes_signals":true,"offers_research_year":true,"source":"https://university-of-corrinmoor-health.example.org/dermatology",)"
        R"("retrieved":"2025-08-20","verified_by":"EO"})");
}

TEST_CASE("facts: unknown values per field of the bundled catalog", "[facts]") {
  std::vector<DataError> errors;
  std::vector<FactRecord> records;
  REQUIRE(read_facts_file(std::string(ADVISE_SOURCE_DIR) + "/examples/catalog/programs.csv", "program", catalog().kb,
                          catalog().templates, records, errors));
  std::string report;
  for (const UnknownCount& u : unknown_counts(catalog().templates, catalog().program, records))
    if (u.unknown) report += u.field + " " + std::to_string(u.unknown) + "/" + std::to_string(u.records) + "\n";
  // The shares docs/catalog.md gives (step2ck_min: `none` is known).
  CHECK(report ==
        "positions 5/360\nsetting 37/360\nimg_policy 77/360\nus_img_residents 164/360\nimg_residents 119/360\n"
        "total_residents 119/360\nclasses_counted 119/360\nstep2ck_min 198/360\nstep2ck_cutoff 241/360\n"
        "max_attempts 173/360\nmax_years_since_graduation 189/360\nus_clinical_experience 98/360\n"
        "research_intensity 42/360\ntakes_signals 46/360\noffers_research_year 96/360\nverified_by 54/360\n");
}

// ------------------------------------------------------------------ CSV

TEST_CASE("facts: CSV texts repeated across rows read the same, unique ones too", "[facts]") {
  // The reader shares a field's repeated texts between records and stops
  // looking them up for a field whose texts seldom repeat (past 256 rows).
  std::string text = kHead;
  for (int i = 1; i <= 600; ++i) {
    std::string n = std::to_string(i);
    text += "080039" + std::string(4 - n.size(), '0') + n + ",Derm " + n +
            ",dermatology,advanced,https://a.example.org," + (i % 2 ? "2025-07-03" : "2025-07-04") + "\n";
  }
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  REQUIRE(read_facts_csv(text, "p.csv", catalog().kb, catalog().templates, catalog().program, out, errors));
  REQUIRE(out.size() == 600);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::string n = std::to_string(i + 1);
    CHECK(*field(out[i], "name").text == "Derm " + n);
    CHECK(*field(out[i], "program_id").text == "080039" + std::string(4 - n.size(), '0') + n);
    CHECK(*field(out[i], "retrieved").text == (i % 2 ? "2025-07-04" : "2025-07-03"));
    CHECK(*field(out[i], "source").text == "https://a.example.org");
  }
  CHECK(field(out[0], "retrieved").text == field(out[598], "retrieved").text);  // one string
}

TEST_CASE("facts: CSV with a BOM, comments, CRLF, quoting, x_ columns, any column order", "[facts]") {
  std::string text = "\xEF\xBB\xBF# a comment, with commas\r\n"
                     "x_note,track,program_id,name,specialty,source,retrieved,step2ck_min,max_attempts,state\r\n"
                     "# FICTITIOUS,,,,\r\n"
                     "\r\n"
                     "\"any, \"\"thing\"\"\",advanced,0800390001,\"Derm, \"\"A\"\"\nsecond line\",dermatology,s,2025-07-03,none,,AZ\r\n"
                     ",,,,,,,,,\r\n"
                     "x,categorical,0800390001,B,dermatology,s,2024-02-29,240,2,PR";
  auto r = csv_records(text);
  REQUIRE(r.size() == 2);
  CHECK(r[0].origin.text() == "p.csv:5:1 (row 5)");
  CHECK(r[1].origin.text() == "p.csv:8:1 (row 7)");
  CHECK(*field(r[0], "name").text == "Derm, \"A\"\nsecond line");
  CHECK(field(r[0], "fictitious") == Value::boolean(false));  // column left out: the default
  // `none`: the number is missing and the flag says none; an empty cell: both unknown.
  CHECK(field(r[0], "step2ck_min").is_missing());
  CHECK(field(r[0], "step2ck_min_none") == Value::boolean(true));
  CHECK(field(r[0], "max_attempts").is_missing());
  CHECK(field(r[0], "max_attempts_none").is_missing());
  CHECK(field(r[1], "step2ck_min") == Value::number(240));
  CHECK(field(r[1], "step2ck_min_none") == Value::boolean(false));
  CHECK(catalog().kb.display(field(r[0], "census_division")) == "mountain");  // derived from AZ
  CHECK(field(r[1], "census_division").is_missing());                        // PR: no division
  CHECK(field(r[0], "positions").is_missing());                               // column left out
}

TEST_CASE("facts: CSV rows cut 16 bytes at a time read as byte by byte", "[facts]") {
  // Plain rows are cut at their commas a block of 16 bytes at a time; a
  // quote or a carriage return anywhere before the line end (past the first
  // block too) sends the row to the general path; the last bytes of the
  // file, fewer than 16, are read one by one.
  std::string text = "name,program_id,specialty,track,source,retrieved\n"
                     ",,,,,,,,,,,,,,,,,,,,,\n"  // a blank row longer than a block, no values
                     ",,,,,\n";
  std::vector<std::string> names;
  for (std::size_t len = 1; len <= 40; ++len) {
    std::string name(len, 'n');
    std::string cell = len % 3 == 0 ? "\"" + name + ",\"\"q\"\"\"" : name;  // quoted after the first block
    names.push_back(len % 3 == 0 ? name + ",\"q\"" : name);
    std::string n = std::to_string(len);
    text += cell + ",080039" + std::string(4 - n.size(), '0') + n + ",dermatology,advanced,s,2025-07-03" +
            (len % 4 == 0 ? "\r\n" : "\n");
  }
  text += "z,0800390099,dermatology,advanced,s,2025-07-03";  // no line end
  auto r = csv_records(text);
  REQUIRE(r.size() == 41);
  for (std::size_t i = 0; i < names.size(); ++i) {
    INFO(i);
    CHECK(*field(r[i], "name").text == names[i]);
    CHECK(*field(r[i], "retrieved").text == "2025-07-03");
    CHECK(r[i].origin.text() == "p.csv:" + std::to_string(i + 4) + ":1 (row " + std::to_string(i + 4) + ")");
  }
  CHECK(*field(r[40], "program_id").text == "0800390099");
  const std::string head = "name,program_id,specialty,track,source,retrieved\n";
  CHECK(csv_problems(head + "ab,0800390001,dermatology,advanced,s,2025-07-03,x\n") ==
        "p.csv:2:49: error: at row 2: the row has 7 cells; the header has 6 columns (a cell with a comma in it "
        "needs double quotes)\n");
  CHECK(csv_problems(head + "abcdefghijklmnopq\"rs,0800390001,dermatology,advanced,s,2025-07-03\n") ==
        "p.csv:2:18: error: at row 2: a `\"` inside a cell that does not start with `\"`; put the whole cell in "
        "double quotes and write the `\"` inside as `\"\"`\n");
}

TEST_CASE("facts: CSV header problems: unknown, duplicate, derived and missing columns", "[facts]") {
  CHECK(csv_problems("Program ID,name,specialty,trak,source,retrieved,name,step2ck_min_none,x_ok\n" + kRow) ==
        "p.csv:1:1: error: at row 1, column A: unknown column `Program ID`: `program` has no such field (prefix it "
        "with `x_` to carry a column Advise should ignore); did you mean `program_id`?\n"
        "p.csv:1:1: error: at row 1: the header has no column `program_id`; `program_id` is required in every "
        "`program` record\n"
        "p.csv:1:1: error: at row 1: the header has no column `track`; `track` is required in every `program` "
        "record\n"
        "p.csv:1:27: error: at row 1, column D: unknown column `trak`: `program` has no such field (prefix it with "
        "`x_` to carry a column Advise should ignore); did you mean `track`?\n"
        "p.csv:1:49: error: at row 1, column G: the column `name` appears twice (also column B); keep one\n"
        "p.csv:1:54: error: at row 1, column H: `step2ck_min_none` is set by the reader; write `none` in the column "
        "`step2ck_min` instead; did you mean `step2ck_min`?\n");
  CHECK(csv_problems("# only a comment\n") ==
        "p.csv: error: the file has no header row; the first row that is not a `#` comment names the columns\n");
}

TEST_CASE("facts: CSV value problems, each with row, column and a suggestion", "[facts]") {
  std::string text = kHead.substr(0, kHead.size() - 1) +
                     ",positions,img_policy,takes_signals,fictitious,state,census_division,step2ck_min,max_attempts\n" +
                     "800390001,A,dermatolgy,advanced,s,7/3/2025,1 200,Case by case,yes,,AZ,pacific,None,2.5\n" +
                     "0800390002,,dermatology,Advanced,s,2025-02-30,201,considers, true,TRUE,PR,mountain,301,-1\n";
  CHECK(csv_problems(text) ==
        "p.csv:2:1: error: at row 2, column program_id (A): expected 10 digits, found `800390001` (9 digits) (a "
        "spreadsheet drops a leading zero unless the column is formatted as text); did you mean `0800390001`?\n"
        "p.csv:2:13: error: at row 2, column specialty (C): unknown specialty `dermatolgy`; did you mean "
        "`dermatology`?\n"
        "p.csv:2:35: error: at row 2, column retrieved (F): expected a date written YYYY-MM-DD, found `7/3/2025` (a "
        "spreadsheet rewrites dates unless the column is formatted as text); did you mean `2025-07-03`?\n"
        "p.csv:2:44: error: at row 2, column positions (G): expected an integer, found `1 200`\n"
        "p.csv:2:50: error: at row 2, column img_policy (H): unknown img_policy `Case by case` (one of considers "
        "case_by_case does_not_consider); did you mean `case_by_case`?\n"
        "p.csv:2:63: error: at row 2, column takes_signals (I): expected true or false, found `yes`; did you mean "
        "`true`?\n"
        "p.csv:2:67: error: at row 2, column fictitious (J): `fictitious` may not be empty (it has a default): give "
        "a value, or leave `fictitious` out of the file (every record is then false)\n"
        "p.csv:2:71: error: at row 2, column census_division (L): `census_division` `pacific` disagrees with state "
        "`AZ`, which is in `mountain` (census_divisions.json); did you mean `mountain`?\n"
        "p.csv:2:79: error: at row 2, column step2ck_min (M): expected an integer or `none`, found `None`; did you "
        "mean `none`?\n"
        "p.csv:2:84: error: at row 2, column max_attempts (N): expected a whole number or `none`, found `2.5`\n"
        // A warning among the errors, in file order (PR's ACGME state code is 42).
        "p.csv:3:1: warning: at row 3, column program_id (A): digits 4-5 of `program_id` `0800390002` are `03`, the "
        "code of `AZ` in acgme_codes.json, but `state` is `PR`, whose code is `42`; check the id and the state\n"
        "p.csv:3:12: error: at row 3, column name (B): `name` is required; the value is empty\n"
        "p.csv:3:25: error: at row 3, column track (D): unknown track `Advanced` (one of categorical advanced "
        "preliminary transitional integrated); did you mean `advanced`?\n"
        "p.csv:3:36: error: at row 3, column retrieved (F): `2025-02-30` is not a date of the calendar (YYYY-MM-DD)\n"
        "p.csv:3:47: error: at row 3, column positions (G): expected from 1 to 200, found 201\n"
        "p.csv:3:61: error: at row 3, column takes_signals (I): expected true or false, found ` true` (with spaces "
        "around it); did you mean `true`?\n"
        "p.csv:3:75: error: at row 3, column census_division (L): `census_division` is derived from `state`, and "
        "state `PR` has none (census_divisions.json); leave `census_division` empty\n"
        "p.csv:3:84: error: at row 3, column step2ck_min (M): expected from 1 to 300 or `none`, found 301\n"
        "p.csv:3:88: error: at row 3, column max_attempts (N): expected from 1 to 10 or `none`, found -1\n");
}

TEST_CASE("facts: the program template's rules across fields, each at its cell", "[facts][catalog]") {
  const std::string head = "program_id,name,specialty,track,source,retrieved,state,us_img_residents,img_residents,"
                           "total_residents,classes_counted,step2ck_min,step2ck_cutoff\n";
  // Row 2: US IMGs above all IMGs. Row 3: IMGs above all residents, and counts without classes_counted.
  // Row 4: a cut-off with a minimum of `none`; row 5: a cut-off with no minimum. Row 6: a track the
  // specialty does not take. Row 7: every rule kept (unknown counts never break one).
  CHECK(csv_problems(head + "0800390001,A,dermatology,advanced,s,2025-07-03,AZ,3,2,25,5,250,soft\n" +
                     "0800390002,B,dermatology,advanced,s,2025-07-03,AZ,,9,8,,,\n" +
                     "0800390003,C,dermatology,advanced,s,2025-07-03,AZ,,,,,none,hard\n" +
                     "0800390004,D,dermatology,advanced,s,2025-07-03,AZ,,,,,,soft\n" +
                     "4400390005,E,preliminary_surgery,categorical,s,2025-07-03,AZ,,,,,,\n" +
                     "0800390006,F,dermatology,categorical,s,2025-07-03,AZ,,0,,5,240,hard\n") ==
        "p.csv:2:51: error: at row 2, column us_img_residents (H): `us_img_residents` 3 is more than "
        "`img_residents` 2 (US-citizen IMGs are among all IMGs counted); correct one of the two\n"
        "p.csv:3:52: error: at row 3, column img_residents (I): `img_residents` 9 is more than `total_residents` 8 "
        "(IMGs are among all residents counted); correct one of the two\n"
        "p.csv:3:52: error: at row 3, column img_residents (I): `img_residents` 9 is given, but `classes_counted` is "
        "unknown (the counts cover a number of recent classes); give `classes_counted`, or leave `img_residents` "
        "unknown\n"
        "p.csv:4:60: error: at row 4, column step2ck_cutoff (M): `step2ck_cutoff` `hard` is given, but `step2ck_min` "
        "is `none` (a cut-off is the strength of a numeric Step 2 CK minimum); give `step2ck_min` as a number, or "
        "leave `step2ck_cutoff` unknown\n"
        "p.csv:5:56: error: at row 5, column step2ck_cutoff (M): `step2ck_cutoff` `soft` is given, but `step2ck_min` "
        "is unknown (a cut-off is the strength of a numeric Step 2 CK minimum); give `step2ck_min`, or leave "
        "`step2ck_cutoff` unknown\n"
        "p.csv:6:34: error: at row 6, column track (D): `track` `categorical` does not go with `specialty` "
        "`preliminary_surgery`, which takes `preliminary`; did you mean `preliminary`?\n");
  // A value already wrong is not checked again across fields.
  CHECK(csv_problems(head + "0800390001,A,dermatology,advanced,s,2025-07-03,AZ,,2,25,five,,\n") ==
        "p.csv:2:57: error: at row 2, column classes_counted (K): expected an integer, found `five`\n");
  // The track when the specialty takes two; the needed field's column left out entirely.
  CHECK(csv_problems("program_id,name,specialty,track,source,retrieved,img_residents\n"
                     "0800390001,A,dermatology,integrated,s,2025-07-03,0\n") ==
        "p.csv:2:26: error: at row 2, column track (D): `track` `integrated` does not go with `specialty` "
        "`dermatology`, which takes `categorical` or `advanced`\n"
        "p.csv:2:50: error: at row 2, column img_residents (G): `img_residents` 0 is given, but `classes_counted` is "
        "unknown (the counts cover a number of recent classes); give `classes_counted`, or leave `img_residents` "
        "unknown\n");
}

TEST_CASE("facts: a program id whose ACGME codes disagree is a warning, and the record is read", "[facts][catalog]") {
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  // Orthopaedics' code (260) on a dermatology record; California's (05) on an Arizona one; a code no
  // specialty has; a specialty without a code in kb/acgme_codes.json (not checked); a state left unknown.
  REQUIRE(read_facts_csv("program_id,name,specialty,track,source,retrieved,state\n"
                         "2600390001,A,dermatology,advanced,s,2025-07-03,AZ\n"
                         "0800590002,B,dermatology,advanced,s,2025-07-03,AZ\n"
                         "1230390003,C,dermatology,advanced,s,2025-07-03,AZ\n"
                         "1230390004,D,psychiatry,categorical,s,2025-07-03,AZ\n"
                         "0809990005,E,dermatology,advanced,s,2025-07-03,\n",
                         "p.csv", catalog().kb, catalog().templates, catalog().program, out, errors));
  CHECK(out.size() == 5);
  CHECK(texts(errors) ==
        "p.csv:2:1: warning: at row 2, column program_id (A): digits 1-3 of `program_id` `2600390001` are `260`, "
        "the code of `orthopedic_surgery` in acgme_codes.json, but `specialty` is `dermatology`, whose code is "
        "`080`; check the id and the specialty\n"
        "p.csv:3:1: warning: at row 3, column program_id (A): digits 4-5 of `program_id` `0800590002` are `05`, the "
        "code of `CA` in acgme_codes.json, but `state` is `AZ`, whose code is `03`; check the id and the state\n"
        "p.csv:4:1: warning: at row 4, column program_id (A): digits 1-3 of `program_id` `1230390003` are `123`, "
        "the code of no specialty in acgme_codes.json, but `specialty` is `dermatology`, whose code is `080`; check "
        "the id and the specialty\n");
  // Codes shared by two specialties are named together; in JSON the warning carries the path.
  errors.clear();
  out.clear();
  REQUIRE(read_facts_json(R"({"program": [
 {"program_id": "1400390001", "name": "A", "specialty": "general_surgery", "track": "categorical", "state": "AZ",
  "source": "s", "retrieved": "2025-07-03"}]})",
                          "p.json", catalog().kb, catalog().templates, out, errors));
  CHECK(texts(errors) ==
        "p.json:2:17: warning: at $.program[0].program_id: digits 1-3 of `program_id` `1400390001` are `140`, the "
        "code of `internal_medicine` or `preliminary_medicine` in acgme_codes.json, but `specialty` is "
        "`general_surgery`, whose code is `440`; check the id and the specialty\n");
}

TEST_CASE("facts: rules across fields in JSON are located by their JSON path", "[facts][catalog]") {
  CHECK(json_problems(R"({"program": [
 {"program_id": "0800390001", "name": "A", "specialty": "dermatology", "track": "advanced", "source": "s",
  "retrieved": "2025-07-03", "us_img_residents": 1, "img_residents": 0, "total_residents": 10, "classes_counted": 5},
 {"program_id": "0800390002", "name": "B", "specialty": "dermatology", "track": "advanced", "source": "s",
  "retrieved": "2025-07-03", "step2ck_cutoff": "hard"}]})") ==
        "p.json:3:50: error: at $.program[0].us_img_residents: `us_img_residents` 1 is more than `img_residents` 0 "
        "(US-citizen IMGs are among all IMGs counted); correct one of the two\n"
        "p.json:5:48: error: at $.program[1].step2ck_cutoff: `step2ck_cutoff` `hard` is given, but `step2ck_min` is "
        "unknown (a cut-off is the strength of a numeric Step 2 CK minimum); give `step2ck_min`, or leave "
        "`step2ck_cutoff` unknown\n");
}

TEST_CASE("templates: bad rules across fields are reported where they are declared", "[facts]") {
  CHECK(template_problems(R"({"enums": {"size": ["s", "m"]}, "templates": {"x": {"doc": "d",
  "fields": {"id": {"type": "string", "digits": 4}, "a": {"type": "integer"}, "b": {"type": "string"},
             "c": {"type": "size"}},
  "checks": [
    {"at_most": ["a", "b"]},
    {"needs": "a"},
    {"allowed": "c", "by": "c", "values": {"l": ["s"], "*": ["xl"]}},
    {"code": "id", "digits": [3, 5], "of": "c", "table": "acgme_codes.json", "map": "states"},
    {"at_most": ["a", "a"], "needs": "a"},
    {"needs": "a", "when": ["b"], "wy": "typo"}
  ]}}})") ==
        "t.json:5:23: error: at $.templates.x.checks[0].at_most[1]: `b` is not a number field\n"
        "t.json:6:5: error: at $.templates.x.checks[1]: a `needs` check needs `when`: a list of fields\n"
        "t.json:7:44: error: at $.templates.x.checks[2].values.l: `l` is not a size value (or `*`, every other one); "
        "did you mean `m`?\n"
        "t.json:7:61: error: at $.templates.x.checks[2].values[\"*\"]: expected a list of size values, found \"xl\"\n"
        "t.json:8:30: error: at $.templates.x.checks[3].digits: expected `digits`: [first, count], the digits of the "
        "code (the first digit is 1)\n"
        "t.json:9:38: error: at $.templates.x.checks[4].needs: a check has one of at_most, needs, allowed, code; "
        "this one has `at_most` too\n"
        "t.json:10:35: error: at $.templates.x.checks[5].wy: unknown attribute `wy` of a `needs` check (needs, why, "
        "warning, when); did you mean `why`?\n");
}

TEST_CASE("facts: CSV structure problems: cells per row, quotes, duplicate keys", "[facts]") {
  CHECK(csv_problems(kHead + "0800390001,A,dermatology,advanced,s,2025-07-03,extra\n" +
                     "0800390001,A,dermatology\n") ==
        "p.csv:2:48: error: at row 2: the row has 7 cells; the header has 6 columns (a cell with a comma in it "
        "needs double quotes)\n"
        "p.csv:3:1: error: at row 3: the row has 3 cells; the header has 6 columns\n");
  CHECK(csv_problems(kHead + "0800390001,\"A\"x,dermatology,advanced,s,2025-07-03\n") ==
        "p.csv:2:15: error: at row 2: after the closing `\"` of a quoted cell, expected `,` or the end of the row, "
        "found `x`; a `\"` inside a quoted cell is written `\"\"`\n");
  CHECK(csv_problems(kHead + "0800390001,5\" tall,dermatology,advanced,s,2025-07-03\n") ==
        "p.csv:2:13: error: at row 2: a `\"` inside a cell that does not start with `\"`; put the whole cell in "
        "double quotes and write the `\"` inside as `\"\"`\n");
  CHECK(csv_problems(kHead + "0800390001,\"A,dermatology,advanced,s,2025-07-03\n") ==
        "p.csv:2:12: error: at row 2: a quoted cell is not closed; a `\"` inside a quoted cell is written `\"\"`\n");
  CHECK(csv_problems(kHead + kRow + "# between\n" + kRow) ==
        "p.csv:4:1: error: at row 4: a record with program_id 0800390001, track advanced is already at p.csv:2:1 "
        "(row 2); the key program_id + track must be unique\n");
}

TEST_CASE("facts: a read stops after 100 problems and says so", "[facts]") {
  std::string text = kHead;
  for (int i = 0; i < 150; ++i) text += "1,A,dermatology,advanced,s,2025-07-03\n";
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  CHECK_FALSE(read_facts_csv(text, "p.csv", catalog().kb, catalog().templates, catalog().program, out, errors));
  REQUIRE(errors.size() == 100);
  CHECK(errors[0].text() ==
        "p.csv: error: stopped after 100 problems; correct these and read the file again");
  CHECK(errors[99].text() == "p.csv:100:1: error: at row 100, column program_id (A): expected 10 digits, found `1` "
                             "(1 digit)");
}

// ------------------------------------------------------------------ JSON

TEST_CASE("facts: JSON as an array of records naming their template", "[facts]") {
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  std::string text = R"([
  {"template": "program", "program_id": "0800390001", "name": "A", "specialty": "dermatology",
   "track": "advanced", "source": "s", "retrieved": "2025-07-03", "step2ck_min": "none", "x_mine": [1, {"a": 2}],
   "$comment": "ignored"}
])";
  REQUIRE(read_facts_json(text, "p.json", catalog().kb, catalog().templates, out, errors));
  REQUIRE(out.size() == 1);
  CHECK(out[0].origin.text() == "p.json:2:3 ($[0])");
  CHECK(field(out[0], "step2ck_min_none") == Value::boolean(true));
}

TEST_CASE("facts: JSON problems with line, column, path and suggestions", "[facts]") {
  CHECK(json_problems(R"({
  "$comment": "top",
  "programs": [],
  "program": [
    {"program_id": 800390001, "name": null, "specialty": "dermatology", "track": "advanced",
     "source": "s", "retrieved": "2025-07-03", "positions": "3", "takes_signals": "true",
     "step2ck_min": false, "img_policy": ["considers"], "stat": "AZ", "name": "B"},
    [1],
    {"program_id": "0800390002", "track": "advanced"}
  ]
})") == "p.json:3:3: error: at $.programs: unknown template `programs` (keys starting with `$` are comments); did "
        "you mean `program`?\n"
        "p.json:5:20: error: at $.program[0].program_id: expected a text in double quotes, found a number 800390001 "
        "(an id with leading zeros is a string); did you mean `\"0800390001\"`?\n"
        "p.json:5:39: error: at $.program[0].name: null is not a value; leave the field out when it is not known\n"
        "p.json:6:61: error: at $.program[0].positions: expected an integer, found a string \"3\"; did you mean `3`?\n"
        "p.json:6:83: error: at $.program[0].takes_signals: expected true or false, found a string \"true\"; did you "
        "mean `true`?\n"
        "p.json:7:21: error: at $.program[0].step2ck_min: expected an integer or `none`, found a boolean false; did "
        "you mean `none`?\n"
        "p.json:7:42: error: at $.program[0].img_policy: expected one of the img_policy values, found a list (a field "
        "of a record holds one value)\n"
        "p.json:7:57: error: at $.program[0].stat: unknown field `stat`: `program` has no such field (prefix it with "
        "`x_` to carry a field Advise should ignore); did you mean `state`?\n"
        "p.json:7:71: error: at $.program[0].name: the field `name` appears twice in the record; keep one\n"
        "p.json:8:5: error: at $.program[1]: expected a record (a JSON object), found a list\n"
        "p.json:9:5: error: at $.program[2]: the record has no `name`; `name` is required in every `program` record\n"
        "p.json:9:5: error: at $.program[2]: the record has no `specialty`; `specialty` is required in every "
        "`program` record\n"
        "p.json:9:5: error: at $.program[2]: the record has no `source`; `source` is required in every `program` "
        "record\n"
        "p.json:9:5: error: at $.program[2]: the record has no `retrieved`; `retrieved` is required in every "
        "`program` record\n");
  CHECK(json_problems(R"({"program": [{"program_id": "0800390001", "name": "", "specialty": "dermatology",
    "track": "advanced", "source": "s", "retrieved": "2025-07-03"}]})") ==
        "p.json:1:51: error: at $.program[0].name: the value is empty; leave `name` out when it is not known\n");
  CHECK(json_problems(R"([{"program_id": "0800390001"}, {"template": "programme"}])") ==
        "p.json:1:2: error: at $[0]: the record has no `template` key naming its template (in a top-level list, "
        "every record says which template it is, like {\"template\": \"program\", ...})\n"
        "p.json:1:45: error: at $[1].template: unknown template `programme`; did you mean `program`?\n");
  CHECK(json_problems("{\"program\": [{\"name\": tru}]}") ==
        "p.json:1:23: error: invalid JSON: `tru` is not a JSON value (texts need double quotes; the words JSON knows "
        "are true, false and null)\n");
  CHECK(json_problems("42") ==
        "p.json:1:1: error: at $: expected an array of records or an object of arrays keyed by template name, like "
        "{\"program\": [...]}\n");
  CHECK(json_problems("") ==
        "p.json:1:1: error: the file is empty; facts in JSON are an object of arrays keyed by template name, like "
        "{\"program\": [...]}\n");
}

// ------------------------------------------------------------------ CLIPS

TEST_CASE("facts: CLIPS facts, several per line, symbols read by the field's type", "[facts]") {
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  std::string text = "; manners\n"
                     "(guest (name n1) (sex m) (hobby h3)) (guest (name n2) (sex f) (hobby h2))\n"
                     "(guest (name \"n 3\") (hobby h1))\n"
                     "(last_seat (seat 8))\n"
                     "(line (p1 50003) (p2 60003))\n";
  REQUIRE(read_facts_clips(text, "g.fct", guests().kb, guests().templates, out, errors));
  REQUIRE(out.size() == 5);
  CHECK(out[1].origin.text() == "g.fct:2:38 (fact 2)");
  CHECK(*out[1].values[0].text == "n2");
  CHECK(guests().kb.display(out[1].values[1]) == "f");
  CHECK(*out[2].values[0].text == "n 3");
  CHECK(out[2].values[1].is_missing());
  CHECK(out[3].values[0] == Value::number(8));
  CHECK(out[4].values[1] == Value::number(60003));
}

TEST_CASE("facts: CLIPS problems with line, column and suggestions", "[facts]") {
  CHECK(clips_problems("(guest (name n1) (sx m) (hobby h3 h4))\n(gust (name n2))\n(guest (name n3) (sex x))\n"
                       "(last_seat (seat 0)) (line (p1 a))") ==
        "g.fct:1:19: error: at fact 1, slot sx: unknown slot `sx`: `guest` has no such field; did you mean `sex`?\n"
        "g.fct:1:35: error: at fact 1, slot hobby: the slot `hobby` holds 2 values; a slot of a template holds one "
        "(multislots are not read)\n"
        "g.fct:2:2: error: at fact 2: unknown template `gust`; did you mean `guest`?\n"
        "g.fct:3:23: error: at fact 3, slot sex: unknown sex `x` (one of m f); did you mean `f`?\n"
        "g.fct:4:18: error: at fact 4, slot seat: expected at least 1, found 0\n"
        "g.fct:4:32: error: at fact 5, slot p1: expected an integer, found `a`\n");
  CHECK(clips_problems("(guest (name n1)\n") ==
        "g.fct:2:1: error: at fact 1: expected `(` to start a slot or `)` to end the fact, found the end of the "
        "file\n");
  CHECK(clips_problems("guest (name n1))") ==
        "g.fct:1:1: error: at fact 1: expected `(` to start a fact like (guest (name n1) (sex f)), found `guest`\n");
}

// ------------------------------------------------------------------ round trip, files

TEST_CASE("facts: values round-trip from CSV through JSON", "[facts]") {
  std::vector<DataError> errors;
  std::vector<FactRecord> from_csv, again;
  REQUIRE(read_facts_file(std::string(ADVISE_SOURCE_DIR) + "/examples/catalog/programs.csv", "program", catalog().kb,
                          catalog().templates, from_csv, errors));
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const FactRecord& r : from_csv) all.push_back(fact_to_json(catalog().kb, catalog().templates, r));
  REQUIRE(read_facts_json(all.dump(1), "again.json", catalog().kb, catalog().templates, again, errors));
  INFO(texts(errors));
  REQUIRE(again.size() == from_csv.size());
  for (std::size_t i = 0; i < again.size(); ++i) CHECK(again[i].values == from_csv[i].values);
}

TEST_CASE("facts: files are read by their extension; CSV needs its template", "[facts]") {
  TempDir dir;
  std::string csv = dir.file("p.csv", kHead + kRow);
  std::string odd = dir.file("p.txt", "");
  std::vector<DataError> errors;
  std::vector<FactRecord> out;
  CHECK_FALSE(read_facts_file(csv, "", catalog().kb, catalog().templates, out, errors));
  CHECK_FALSE(read_facts_file(csv, "progam", catalog().kb, catalog().templates, out, errors));
  CHECK_FALSE(read_facts_file(odd, "", catalog().kb, catalog().templates, out, errors));
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].message == "a CSV file holds records of one template; name it, like `program=" + csv + "`");
  CHECK(errors[1].message == "unknown template `progam`");
  CHECK(errors[1].suggestion == "program");
  CHECK(errors[2].message ==
        "cannot tell the format of the facts file from its name; name it `.json`, `.csv`, or `.fct` (CLIPS facts)");
  errors.clear();
  REQUIRE(read_facts_file(csv, "program", catalog().kb, catalog().templates, out, errors));
  // Keys are unique across reads too.
  CHECK_FALSE(read_facts_file(csv, "program", catalog().kb, catalog().templates, out, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message == "a record with program_id 0800390001, track advanced is already at " + csv +
                                 ":2:1 (row 2); the key program_id + track must be unique");
  CHECK(out.size() == 1);
}

TEST_CASE("facts: a value over the size limit is said as every size limit is", "[facts]") {
  std::string csv = "program_id,name,specialty,track,source,retrieved\n0800390001," +
                    std::string(kMaxFactValueBytes + 1, 'a') + ",dermatology,categorical,x,2025-01-01\n";
  CHECK(csv_problems(csv) == "p.csv:2:12: error: at row 2, column name (B): the value is 65,537 bytes; a value may be "
                             "at most 64 KiB (65,536 bytes)\n");
}

// ------------------------------------------------------------------ CSV in two halves

namespace {

// A catalog of `rows` programs past 1 MiB (long names), so that it is read in
// two halves; `row_text(i)` may change a row.
std::string big_csv(int rows, const std::function<std::string(int, std::string)>& row_text = {}) {
  std::string text = "# fictitious\n" + kHead;
  std::string pad(230, 'x');
  for (int i = 1; i <= rows; ++i) {
    std::string n = std::to_string(i);
    std::string row = "0800" + std::string(6 - n.size(), '0') + n + ",Derm " + n + " " + pad +
                      ",dermatology,advanced,https://a.example.org,2025-07-03\n";
    text += row_text ? row_text(i, row) : row;
  }
  REQUIRE(text.size() > (std::size_t{1} << 20));
  return text;
}

struct Read {
  bool ok = false;
  std::vector<FactRecord> records;
  std::string messages;
};

Read read_csv_text(const std::string& text, bool one_pass) {
  Read r;
  std::vector<DataError> errors;
  r.ok = one_pass ? read_facts_csv_one_pass(text, "big.csv", catalog().kb, catalog().templates, catalog().program,
                                            r.records, errors)
                  : read_facts_csv(text, "big.csv", catalog().kb, catalog().templates, catalog().program, r.records,
                                   errors);
  for (const DataError& e : errors) r.messages += e.text() + "\n";
  return r;
}

void same_reads(const std::string& text) {
  Read halves = read_csv_text(text, false), one = read_csv_text(text, true);
  CHECK(halves.ok == one.ok);
  CHECK(halves.messages == one.messages);
  REQUIRE(halves.records.size() == one.records.size());
  for (std::size_t i = 0; i < one.records.size(); ++i) {
    INFO("record " << i);
    CHECK(halves.records[i].origin.text() == one.records[i].origin.text());
    CHECK(halves.records[i].values == one.records[i].values);
  }
}

}  // namespace

TEST_CASE("facts: a large CSV read in two halves gives the records, places and messages of one pass", "[facts]") {
  SECTION("a clean file: the second half's rows are numbered on from the first's") {
    std::string text = big_csv(4000, [](int i, std::string row) {
      return i == 3000 ? "# a comment in the second half\n\n" + row : row;  // rows that are not records count too
    });
    same_reads(text);
    Read r = read_csv_text(text, false);
    REQUIRE(r.ok);
    REQUIRE(r.records.size() == 4000);
    CHECK(r.records[3999].origin.text() == "big.csv:4004:1 (row 4004)");
  }
  SECTION("a problem in the second half: read again in one pass, the same message") {
    same_reads(big_csv(4000, [](int i, std::string row) {
      return i == 3500 ? row.replace(row.find("2025-07-03"), 10, "2025-13-03") : row;
    }));
  }
  SECTION("a key in both halves: the duplicate is found across them") {
    Read r = read_csv_text(big_csv(4000, [](int i, std::string row) {
                             return i == 3900 ? "0800000007" + row.substr(10) : row;
                           }),
                           false);
    CHECK_FALSE(r.ok);
    INFO(r.messages);
    CHECK(r.messages.find("big.csv:3902:1: error: at row 3902: a record with program_id 0800000007, track advanced is "
                          "already at big.csv:9:1 (row 9)") !=
          std::string::npos);
    same_reads(big_csv(4000, [](int i, std::string row) { return i == 3900 ? "0800000007" + row.substr(10) : row; }));
  }
  SECTION("a quoted cell across the middle, after a stray quote in a comment: the cut is not a row's start") {
    // The quotes before the middle balance (the comment's and the cell's
    // opening one), so the cut falls inside the cell: the first half does not
    // end there, and the file is read in one pass.
    std::string text = big_csv(4000, [](int i, std::string row) {
      if (i == 1) return "# a \" in a comment\n" + row;
      if (i == 2000)
        return row.substr(0, 10) + ",\"Derm\n" + std::string(20000, 'y') + "\n\"" + row.substr(row.find(",dermatology"));
      return row;
    });
    same_reads(text);
    CHECK(read_csv_text(text, false).ok);
  }
}
