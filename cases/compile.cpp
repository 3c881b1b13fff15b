// Compiling a suite (cases/suite.hpp): case files found and parsed, each
// case's profile and catalog read (only from the folders SuiteEnv allows),
// each expectation compiled against the checked rule set.
#include "cases/suite.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "dsl/checker.hpp"
#include "dsl/parser.hpp"
#include "kb/suggest.hpp"

namespace advise::cases {

std::size_t Suite::expectation_count() const {
  std::size_t n = 0;
  for (const CompiledCase& c : cases) n += c.expectations.size();
  return n;
}

namespace {

namespace fs = std::filesystem;

std::uint32_t line_of(const SourceManager& sm, std::uint32_t file, std::uint32_t offset) {
  return sm.line_col(file, offset).line;
}

// A profile error's diagnostic kind, from the kind the profile reader gave it.
DiagKind profile_error_kind(const DataError& e) {
  switch (e.kind) {
    case DataError::Kind::Syntax: return DiagKind::SyntaxError;
    case DataError::Kind::Limit: return DiagKind::ProfileTooLarge;
    case DataError::Kind::UnknownField: return DiagKind::UnknownName;
    case DataError::Kind::UnknownValue: return DiagKind::UnknownValue;
    case DataError::Kind::OutOfRange: return DiagKind::OutOfRange;
    case DataError::Kind::Invalid: break;
  }
  return DiagKind::TypeMismatch;
}

std::string profile_error_text(const DataError& e) {
  std::string m;
  if (!e.path.empty() && e.path != "$") m += "at " + e.path + ": ";
  m += e.message;
  if (e.suggestion) m += "; did you mean `" + *e.suggestion + "`?";
  return m;
}

// Offset of 1-based (line, col) within `text`.
std::size_t offset_of(const std::string& text, std::uint32_t line, std::uint32_t col) {
  std::size_t off = 0;
  for (std::uint32_t l = 1; l < line; ++l) {
    std::size_t nl = text.find('\n', off);
    if (nl == std::string::npos) return text.size();
    off = nl + 1;
  }
  return std::min(text.size(), off + (col > 0 ? col - 1 : 0));
}

// Whether canonical path `p` lies inside canonical folder `root`.
bool inside(const fs::path& p, const fs::path& root) {
  fs::path rel = p.lexically_relative(root);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

// Why a case's profile path may not be read (empty when it may): a profile
// is a `.json` file inside the case file's folder (or below it), inside the
// project the case file belongs to, or inside the Advise data directory
// (`$ADVISE_HOME`, the bundled examples), symbolic
// links resolved. Nothing outside is opened, so a case file cannot make
// `advise test` quote other files.
std::string refused_profile_path(const SuiteEnv& env, const std::string& case_file, const fs::path& path,
                                 bool catalog = false) {
  std::error_code ec;
  auto canonical = [&](const fs::path& p) { return fs::weakly_canonical(fs::absolute(p, ec), ec); };
  fs::path folder = fs::path(case_file).parent_path();
  fs::path target = canonical(path);
  if (ec) return "the path cannot be resolved (" + ec.message() + ")";
  fs::path case_root = canonical(folder.empty() ? fs::path(".") : folder);
  fs::path data_root = canonical(env.data_dir.empty() ? fs::path(".") : fs::path(env.data_dir));
  // The project the case file belongs to (docs/cli.md, "Projects").
  auto project = env.find_project ? env.find_project(case_root.string()) : std::nullopt;
  fs::path project_root = project ? canonical(*project) : data_root;
  bool in_data = !env.data_dir.empty() && inside(target, data_root);
  bool in_project = project ? inside(target, project_root) : in_data;
  if (!inside(target, case_root) && !in_data && !in_project)
    return std::string("it is outside the case file's folder, its project and the Advise data directory; ") +
           (catalog ? "catalogs" : "profiles") + " are read only from there";
  if (catalog) return target.extension() == ".json" || target.extension() == ".csv" ? "" : "a catalog is a `.csv` or `.json` file";
  if (target.extension() != ".json") return "a profile is a `.json` file";
  return {};
}

struct Compiler {
  std::shared_ptr<const RuleSet> rules;
  SourceManager& sm;
  Diagnostics& diags;
  const SuiteEnv& env;
  std::vector<std::string> rule_names;
  std::vector<std::string> rec_ids;
  struct CachedProfile {
    std::optional<Profile> profile;
    FileRead read;  // Ok unless reading failed; its text kept only for a profile with program connections
    std::vector<DataError> errors;
  };
  std::map<std::string, CachedProfile> profiles;
  std::map<std::string, CExpr, std::less<>> compiled;  // condition text -> compiled (clean compilations only)
  // Catalogs read (path -> facts, with the kb's signal allowances); null: failed.
  std::map<std::string, std::shared_ptr<const std::vector<FactRecord>>> catalogs;
  std::vector<DataError> catalog_warnings;  // of the catalogs read without an error (Suite::catalog_warnings)
  std::set<std::pair<std::string, std::string>> connections_warned;  // (profile, catalog) pairs looked at

  bool has_connections(const Profile& p) const {
    int f = rules->kb->field_index("program_connections");
    return f >= 0 && !p.values[static_cast<std::size_t>(f)].is_missing();
  }

  // A case's profile connected to program ids its catalog lacks: warnings
  // (as `advise --catalog` prints them, located in the profile), once per
  // profile and catalog, beside the catalog's own (Suite::catalog_warnings).
  void connections(const Case& c, const std::string& case_file, const Profile& profile,
                   const std::vector<FactRecord>& facts) {
    if (!has_connections(profile)) return;
    std::string profile_key = c.profile->is_inline ? profile.source
                                                   : (fs::path(case_file).parent_path() / c.profile->path).lexically_normal().string();
    std::string catalog_key = (fs::path(case_file).parent_path() / c.catalog->path).lexically_normal().string();
    if (!connections_warned.emplace(profile_key, catalog_key).second) return;
    std::vector<DataError> warnings = connection_warnings(profile, TemplateSet{rules->templates}, facts);
    if (warnings.empty()) return;
    if (c.profile->is_inline) {
      // Located in the case file: the profile's JSON starts at its location.
      LineCol start = sm.line_col(c.profile->loc.file, c.profile->loc.begin);
      for (DataError& w : warnings) w.file = case_file;
      locate_data_errors(c.profile->json, case_file, warnings, 0);
      for (DataError& w : warnings) {
        if (w.line == 0) continue;
        if (w.line == 1) w.column += start.col - 1;
        w.line += start.line - 1;
      }
    } else {
      auto it = profiles.find(profile_key);
      if (it != profiles.end()) locate_data_errors(it->second.read.text, profile.source, warnings, 0);
    }
    for (DataError& w : warnings) catalog_warnings.push_back(std::move(w));
  }

  // `catalog "FILE"`: the catalog's programs and kb/signals.json, read once
  // per path for the whole run. Every problem is reported at the path.
  std::shared_ptr<const std::vector<FactRecord>> catalog(const ProfileRef& ref, const std::string& case_file) {
    fs::path shown = (fs::path(case_file).parent_path() / ref.path).lexically_normal();
    if (std::string why = refused_profile_path(env, case_file, shown, true); ref.path.empty() || !why.empty()) {
      diags.report(DiagKind::PathRefused, ref.loc,
                   "cannot read the catalog `" + ref.path + "`: " + (ref.path.empty() ? "the path is empty" : why));
      return nullptr;
    }
    std::string key = shown.string();
    auto it = catalogs.find(key);
    if (it == catalogs.end()) {
      TemplateSet templates{rules->templates};
      auto facts = std::make_shared<std::vector<FactRecord>>();
      std::vector<DataError> errors;
      bool ok = read_facts_file(key, shown.extension() == ".csv" ? "program" : "", *rules->kb, templates, *facts, errors);
      // The signal allowances of the knowledge base the rules were loaded with.
      std::string kb_dir = rules->kb->directory.empty() ? env.default_kb_dir : rules->kb->directory;
      std::string signals = (fs::path(kb_dir) / "signals.json").string();
      if (ok) ok = read_facts_file(signals, "", *rules->kb, templates, *facts, errors);
      if (!ok) {
        // The first error, not a warning read before it (a program id's codes).
        auto first = std::find_if(errors.begin(), errors.end(), [](const DataError& e) { return !e.warning; });
        Diagnostic& d = diags.report(DiagKind::IoError, ref.loc,
                                     "cannot read the catalog `" + ref.path + "`" +
                                         (first == errors.end() ? std::string() : ": " + first->text()));
        (void)d;
        facts.reset();
      } else {
        for (DataError& e : errors)
          if (e.warning) catalog_warnings.push_back(std::move(e));
      }
      it = catalogs.emplace(key, facts).first;
    }
    return it->second;
  }

  Compiler(std::shared_ptr<const RuleSet> r, SourceManager& s, Diagnostics& d, const SuiteEnv& e)
      : rules(std::move(r)), sm(s), diags(d), env(e) {
    for (const CRule& cr : rules->rules) {
      rule_names.push_back(std::string(cr.name()));
      for (const CAction& a : cr.actions)
        if (a.kind == ast::ActionKind::Recommend && std::find(rec_ids.begin(), rec_ids.end(), a.id()) == rec_ids.end())
          rec_ids.push_back(a.id());
    }
    std::sort(rule_names.begin(), rule_names.end());
    std::sort(rec_ids.begin(), rec_ids.end());
  }

  FileRead read(const std::string& path, std::size_t limit, std::string_view give) const {
    if (env.read) return env.read(path, limit, give);
    return {FileRead::Status::Failed, {}, "this suite reads no files (give the profile inline)", {}};
  }

  std::optional<Profile> inline_profile(const ProfileRef& ref, const std::string& file_name) {
    std::vector<DataError> errors;
    auto prof = load_profile(ref.json, file_name, *rules->kb, errors);
    if (prof) return prof;
    for (const DataError& e : errors) {
      ast::Loc at = ref.loc;
      if (e.line > 0) {
        auto off = static_cast<std::uint32_t>(offset_of(ref.json, e.line, e.column));
        at = {ref.loc.file, ref.loc.begin + off, ref.loc.begin + off + 1};
      } else if (e.path.rfind("$.", 0) == 0) {
        std::string key = e.path.substr(2);
        auto cut = key.find_first_of(".[");
        if (cut != std::string::npos) key = key.substr(0, cut);
        auto k = ref.json.find("\"" + key + "\"");
        if (k != std::string::npos) {
          auto b = static_cast<std::uint32_t>(k);
          at = {ref.loc.file, ref.loc.begin + b, ref.loc.begin + b + static_cast<std::uint32_t>(key.size()) + 2};
        }
      }
      diags.report(profile_error_kind(e), at, "in the profile: " + profile_error_text(e));
    }
    return std::nullopt;
  }

  std::optional<Profile> file_profile(const ProfileRef& ref, const std::string& case_file) {
    if (ref.path.empty()) {
      diags.report(DiagKind::IoError, ref.loc, "the profile's path is empty; give a JSON file, relative to the case file");
      return std::nullopt;
    }
    fs::path shown = (fs::path(case_file).parent_path() / ref.path).lexically_normal();
    std::string key = shown.string();
    if (std::string why = refused_profile_path(env, case_file, shown); !why.empty()) {
      diags.report(DiagKind::PathRefused, ref.loc, "cannot read the profile `" + ref.path + "`: " + why);
      return std::nullopt;
    }
    auto it = profiles.find(key);
    if (it == profiles.end()) {
      CachedProfile cp;
      cp.read = read(key, kMaxProfileBytes, "a profile file (a JSON object)");
      if (cp.read.status == FileRead::Status::Ok) cp.profile = load_profile(cp.read.text, key, *rules->kb, cp.errors);
      // The text locates a connection warning (connections()); other profiles need it no more.
      if (!cp.profile || !has_connections(*cp.profile)) cp.read.text.clear();
      it = profiles.emplace(key, std::move(cp)).first;
    }
    const CachedProfile& cp = it->second;
    if (cp.read.status == FileRead::Status::NotFound) {
      diags.report(DiagKind::IncludeNotFound, ref.loc,
                   "cannot read the profile `" + ref.path + "`: no such file (looked for " + key +
                       "; the path is relative to the case file)" + cp.read.hint);
      return std::nullopt;
    }
    if (cp.read.status != FileRead::Status::Ok) {
      diags.report(cp.read.status == FileRead::Status::TooLarge ? DiagKind::FileTooLarge : DiagKind::IoError, ref.loc,
                   "cannot read the profile `" + ref.path + "`: " + cp.read.error);
      return std::nullopt;
    }
    if (!cp.profile) {
      DiagKind kind = cp.errors.empty() ? DiagKind::TypeMismatch : profile_error_kind(cp.errors.front());
      Diagnostic& d = diags.report(kind, ref.loc,
                                   "the profile `" + ref.path + "` is not valid (" + std::to_string(cp.errors.size()) +
                                       " problem" + (cp.errors.size() == 1 ? "" : "s") + ")");
      for (const DataError& e : cp.errors) d.notes().push_back({{}, false, e.text()});
      return std::nullopt;
    }
    return cp.profile;
  }

  std::optional<CExpr> condition(const ast::Expr& e) {
    std::string_view key = rules->text_of(e.loc);
    if (auto it = compiled.find(key); it != compiled.end()) return it->second;
    std::size_t before = diags.all().size();
    auto c = check_condition(e, *rules, diags);
    bool clean = diags.all().size() == before;
    if (c && clean && !key.empty()) compiled.emplace(std::string(key), *c);
    return c;
  }

  bool expectation(const Expectation& x, CompiledExpectation& out) {
    out.source = &x;
    switch (x.kind) {
      case ExpectKind::Condition: {
        auto c = condition(x.condition);
        if (!c) return false;
        out.condition = std::move(*c);
        return true;
      }
      case ExpectKind::Recommended:
        if (!std::binary_search(rec_ids.begin(), rec_ids.end(), x.id.name)) {
          Diagnostic& d = diags.report(DiagKind::UnknownName, x.id.loc, "no rule recommends `" + x.id.name + "`");
          if (auto s = did_you_mean(x.id.name, rec_ids)) d.message += "; did you mean `" + *s + "`?";
          else if (rules->find_rule(x.id.name)) d.message += " (it is a rule; write `expect fired " + x.id.name + "`)";
          return false;
        }
        return true;
      case ExpectKind::Program: {
        static const std::vector<std::string> words{"anchor", "target", "reach", "long_shot", "excluded",
                                                    "gold", "silver", "unsignalled", "contingency", "unlisted"};
        for (const ast::Ident& w : x.words)
          if (std::find(words.begin(), words.end(), w.name) == words.end()) {
            Diagnostic& d = diags.report(DiagKind::UnknownName, w.loc,
                                         "`" + w.name +
                                             "` is not a program's place (a tier: anchor target reach long_shot "
                                             "excluded; a signal: gold silver unsignalled; contingency; unlisted)");
            if (auto best = did_you_mean(w.name, words)) d.message += "; did you mean `" + *best + "`?";
            return false;
          }
        return true;
      }
      case ExpectKind::Fired:
      case ExpectKind::ExplainedBy: {
        bool ok = true;
        if (x.kind == ExpectKind::ExplainedBy && !subject(x, out)) ok = false;
        const CRule* r = rules->find_rule(x.id.name);
        if (!r) {
          Diagnostic& d = diags.report(DiagKind::UnknownName, x.id.loc, "no rule is called `" + x.id.name + "`");
          if (auto s = did_you_mean(x.id.name, rule_names)) d.message += "; did you mean `" + *s + "`?";
          else if (std::binary_search(rec_ids.begin(), rec_ids.end(), x.id.name))
            d.message += " (it is a recommendation; write `expect recommended " + x.id.name + "`)";
          return false;
        }
        out.rule = r->index;
        return ok;
      }
    }
    return false;
  }

  // `CONCLUSION explained by` / `CONCLUSION[KEY] explained by`
  bool subject(const Expectation& x, CompiledExpectation& out) {
    const ast::Expr& e = x.condition;
    const ast::Expr* name = &e;
    if (e.kind == ast::ExprKind::Index) name = &e.kids[0];
    if (name->kind != ast::ExprKind::Name) {
      diags.report(DiagKind::SyntaxError, e.loc,
                   "`explained by` follows a conclusion, or one entry of a map conclusion as in "
                   "`applications[dermatology]`");
      return false;
    }
    if (rules->field_slot(name->text) >= 0 && rules->conclusion_slot(name->text) < 0) {
      diags.report(DiagKind::NotAConclusion, name->loc,
                   "`" + name->text + "` is a profile field, given by the applicant; `explained by` needs a conclusion");
      return false;
    }
    // Compile `SUBJECT is present` to resolve the name and the key.
    ast::Expr present;
    present.kind = ast::ExprKind::Missing;
    present.number = 1;
    present.loc = e.loc;
    present.kids.push_back(e);
    auto c = check_condition(present, *rules, diags);
    if (!c) return false;
    const CExpr& s = c->kids[0];
    bool ok = (s.op == Op::Slot && rules->is_conclusion(s.slot)) ||
              (s.op == Op::MapGet && s.kids[0].op == Op::Slot && rules->is_conclusion(s.kids[0].slot) &&
               s.kids[1].op == Op::Const);
    if (!ok) {
      diags.report(DiagKind::NotAConclusion, e.loc,
                   "`" + std::string(rules->text_of(e.loc)) +
                       "` is not a conclusion; `explained by` follows a conclusion, or one entry of a map "
                       "conclusion with a fixed key");
      return false;
    }
    out.subject = s;
    return true;
  }

  void compile_file(const CaseFile& f, std::size_t index, const std::string& name,
                    const std::vector<std::uint32_t>* select, Suite& suite) {
    for (const Case& c : f.cases) {
      if (select && !select->empty()) {
        std::uint32_t first = line_of(sm, f.file, c.loc.begin);
        std::uint32_t last = line_of(sm, f.file, c.end_loc.begin);
        bool chosen = std::any_of(select->begin(), select->end(),
                                  [&](std::uint32_t l) { return l >= first && l <= last; });
        if (!chosen) continue;
      }
      CompiledCase cc;
      cc.source = &c;
      cc.file = index;
      cc.file_name = name;
      bool ok = true;
      bool placeholder = c.profile && !c.profile->is_inline && c.profile->loc.end == 0;
      if (c.profile && !placeholder) {
        auto prof = c.profile->is_inline ? inline_profile(*c.profile, name) : file_profile(*c.profile, name);
        if (prof) {
          cc.profile = std::move(*prof);
          if (c.profile->is_inline) cc.profile.source = name + ":" + std::to_string(line_of(sm, f.file, c.profile->loc.begin));
        } else {
          ok = false;
        }
      } else {
        ok = false;  // reported by the parser
      }
      if (c.catalog) {
        cc.facts = catalog(*c.catalog, name);
        if (!cc.facts) ok = false;
        else if (ok) connections(c, name, cc.profile, *cc.facts);
      }
      for (const Expectation& x : c.expectations) {
        if (x.kind == ExpectKind::Program && !c.catalog) {
          diags.report(DiagKind::SyntaxError, x.loc,
                       "`expect program` needs the case's catalog: add `catalog \"FILE.csv\"` to the case");
          ok = false;
          continue;
        }
        CompiledExpectation ce;
        if (expectation(x, ce)) cc.expectations.push_back(std::move(ce));
        else ok = false;
      }
      if (ok) suite.cases.push_back(std::move(cc));
    }
  }
};

struct Source {
  std::string path;   // to read
  std::string shown;  // as diagnostics name it
  bool all = false;   // the whole file
  std::vector<std::uint32_t> lines;  // FILE:LINE selections
};

std::string relative_if_under_cwd(const fs::path& p) {
  if (!p.is_absolute()) return p.lexically_normal().string();
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return p.string();
  fs::path rel = p.lexically_normal().lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return p.lexically_normal().string();
  return rel.string();
}

}  // namespace

std::optional<Suite> load_suite_from_buffers(const std::vector<std::uint32_t>& file_ids,
                                             std::shared_ptr<const RuleSet> rules, SourceManager& sources,
                                             Diagnostics& diags, const SuiteEnv& env) {
  if (rules->sources.get() != &sources)
    throw std::logic_error("load_suite_from_buffers: `sources` must be the rule set's source manager");
  Suite suite;
  suite.rules = rules;
  std::size_t before = diags.error_count();
  Compiler comp(rules, sources, diags, env);
  for (std::uint32_t id : file_ids) {
    auto cf = std::make_unique<CaseFile>(parse_case_file(sources, id, diags));
    if (cf->cases.empty() && diags.error_count() == before)
      diags.report_file(DiagKind::EmptyFile, sources.name(id), "the file holds no cases");
    suite.file_names.push_back(sources.name(id));
    suite.files.push_back(std::move(cf));
  }
  for (std::size_t i = 0; i < suite.files.size(); ++i)
    comp.compile_file(*suite.files[i], i, suite.file_names[i], nullptr, suite);
  diags.sort();
  if (diags.error_count() > before) return std::nullopt;
  suite.catalog_warnings = std::move(comp.catalog_warnings);
  return suite;
}

std::optional<Suite> load_suite(const std::vector<std::string>& paths, std::shared_ptr<const RuleSet> rules,
                                SourceManager& sources, Diagnostics& diags, const SuiteEnv& env) {
  if (rules->sources.get() != &sources)
    throw std::logic_error("load_suite: `sources` must be the rule set's source manager");
  std::vector<Source> files;
  std::map<std::string, std::size_t> by_key;
  auto add = [&](const fs::path& path, std::optional<std::uint32_t> line) {
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(path, ec);
    std::string key = ec ? path.string() : canon.string();
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      it = by_key.emplace(key, files.size()).first;
      files.push_back({path.string(), relative_if_under_cwd(path), false, {}});
    }
    Source& s = files[it->second];
    if (line) s.lines.push_back(*line);
    else s.all = true;
  };
  std::size_t before = diags.error_count();
  for (const std::string& p : paths) {
    std::error_code ec;
    fs::path path(p);
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".cases") found.push_back(it->path());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) diags.report_file(DiagKind::NotAFile, relative_if_under_cwd(path), "the directory holds no `.cases` files");
      for (const fs::path& f : found) add(f, std::nullopt);
      continue;
    }
    if (fs::exists(path, ec) || ec) {  // ec: it may exist but cannot be looked at; reading says why
      add(path, std::nullopt);
      continue;
    }
    // FILE:LINE selects the case around that line.
    auto colon = p.rfind(':');
    if (colon != std::string::npos && colon + 1 < p.size() &&
        std::all_of(p.begin() + static_cast<std::ptrdiff_t>(colon) + 1, p.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        fs::is_regular_file(p.substr(0, colon), ec) && p.size() - colon - 1 <= 9) {
      auto line = static_cast<std::uint32_t>(std::stoul(p.substr(colon + 1)));
      add(fs::path(p.substr(0, colon)), line);
      continue;
    }
    diags.report_file(DiagKind::IoError, p, "no such file or directory");
  }
  Suite suite;
  suite.rules = rules;
  Compiler comp(rules, sources, diags, env);
  for (const Source& s : files) {
    FileRead in = comp.read(s.path, kMaxCaseFileBytes, "a case file");
    if (in.status != FileRead::Status::Ok) {
      diags.report_file(in.status == FileRead::Status::TooLarge ? DiagKind::FileTooLarge : DiagKind::IoError, s.shown,
                        in.error + in.hint);
      continue;
    }
    std::uint32_t id = static_cast<std::uint32_t>(sources.add(s.shown, std::move(in.text)));
    if (!check_encoding(sources, id, diags)) continue;
    std::size_t errors_before = diags.error_count();
    auto cf = std::make_unique<CaseFile>(parse_case_file(sources, id, diags));
    if (cf->cases.empty() && diags.error_count() == errors_before)
      diags.report_file(DiagKind::EmptyFile, s.shown, "the file holds no cases");
    std::vector<std::uint32_t> lines = s.all ? std::vector<std::uint32_t>{} : s.lines;
    for (std::uint32_t l : lines) {
      bool any = std::any_of(cf->cases.begin(), cf->cases.end(), [&](const Case& c) {
        return l >= line_of(sources, id, c.loc.begin) && l <= line_of(sources, id, c.end_loc.begin);
      });
      if (!any) diags.report_file(DiagKind::IoError, s.shown + ":" + std::to_string(l), "no case at line " + std::to_string(l));
    }
    suite.file_names.push_back(s.shown);
    suite.files.push_back(std::move(cf));
    comp.compile_file(*suite.files.back(), suite.files.size() - 1, s.shown, s.all ? nullptr : &lines, suite);
  }
  diags.sort();
  if (diags.error_count() > before) return std::nullopt;
  suite.catalog_warnings = std::move(comp.catalog_warnings);
  return suite;
}

}  // namespace advise::cases
