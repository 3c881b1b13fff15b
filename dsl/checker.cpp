// The checker's passes in order (Checker::run_all) and its entry points;
// the Checker's other jobs are in dsl/checker_*.cpp (see dsl/checker_impl.hpp).
#include "dsl/checker_impl.hpp"

#include <bit>
#include <cstring>
#include <functional>
#include <set>

namespace advise {

const char* op_name(Op op) {
  switch (op) {
    case Op::Const: return "const";
    case Op::Slot: return "slot";
    case Op::Member: return "member";
    case Op::MapGet: return "index";
    case Op::Not: return "not";
    case Op::Neg: return "-";
    case Op::And: return "and";
    case Op::Or: return "or";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::Eq: return "==";
    case Op::Ne: return "!=";
    case Op::In: return "in";
    case Op::NotIn: return "not in";
    case Op::Contains: return "contains";
    case Op::NotContains: return "not contains";
    case Op::Between: return "between";
    case Op::IsMissing: return "is missing";
    case Op::IsPresent: return "is present";
    case Op::Min: return "min";
    case Op::Max: return "max";
    case Op::Avg: return "avg";
    case Op::Sum: return "sum";
    case Op::Count: return "count";
    case Op::Floor: return "floor";
    case Op::Abs: return "abs";
    case Op::Atan2: return "atan2";
    case Op::Choose: return "choose";
    case Op::MakeList: return "list";
    case Op::MakeRange: return "range";
    case Op::Truthy: return "truthy";
    case Op::FactField: return "field";
    case Op::AggValue: return "aggregate";
    case Op::Untrue: return "untrue";
  }
  return "?";
}

const char* rule_strategy_name(RuleStrategy s) {
  switch (s) {
    case RuleStrategy::Advise: return "advise";
    case RuleStrategy::Depth: return "depth";
    case RuleStrategy::Breadth: return "breadth";
    case RuleStrategy::Lex: return "lex";
    case RuleStrategy::Mea: return "mea";
  }
  return "?";
}

std::optional<RuleStrategy> parse_rule_strategy(std::string_view name) {
  for (RuleStrategy s : {RuleStrategy::Advise, RuleStrategy::Depth, RuleStrategy::Breadth, RuleStrategy::Lex,
                         RuleStrategy::Mea})
    if (name == rule_strategy_name(s)) return s;
  return std::nullopt;
}

ConstRef::Node ConstRef::kMissing{Value{}, 1};

std::size_t ConstPool::Hash::operator()(const Key& k) const {
  std::uint64_t h = k.a * 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 29) ^ k.b) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 31) ^ k.c) * 0x94d049bb133111ebULL;
  h = (h ^ (h >> 29) ^ k.d) * 0x9e3779b97f4a7c15ULL;
  return static_cast<std::size_t>(h ^ (h >> 32));
}

ConstRef ConstPool::get(Value v) {
  using K = Value::Kind;
  if (v.kind == K::Text || v.kind == K::List || v.kind == K::Map || v.text || v.items) return ConstRef(std::move(v));
  // Every field, bit for bit: nodes share a constant only when it is the same.
  Key k{};
  k.a = static_cast<std::uint64_t>(static_cast<std::uint32_t>(v.enum_id)) << 32 | static_cast<std::uint32_t>(v.sym);
  std::memcpy(&k.b, &v.num, sizeof v.num);
  std::memcpy(&k.c, &v.hi, sizeof v.hi);
  k.d = static_cast<std::uint64_t>(v.kind) | static_cast<std::uint64_t>(v.flag) << 8;
  auto [it, fresh] = shared_.try_emplace(k);
  if (fresh) it->second = ConstRef(std::move(v));
  return it->second;
}

RuleTexts::RuleTexts(std::string_view name, std::string_view description, std::string_view source) {
  std::size_t n = name.size() + description.size() + source.size();
  if (n == 0) return;
  p_ = static_cast<Head*>(::operator new(sizeof(Head) + n));
  *p_ = Head{static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(description.size()),
             static_cast<std::uint32_t>(source.size())};
  char* to = reinterpret_cast<char*>(p_ + 1);
  for (std::string_view part : {name, description, source}) to = std::copy(part.begin(), part.end(), to);
}

RuleTexts::RuleTexts(const RuleTexts& o) {
  if (!o.p_) return;
  std::size_t n = sizeof(Head) + o.p_->name + o.p_->description + o.p_->source;
  p_ = static_cast<Head*>(::operator new(n));
  std::memcpy(p_, o.p_, n);
}

const CRule::Rare& CRule::empty_rare() {
  static const Rare kEmpty;
  return kEmpty;
}

const CAction::Rare& CAction::empty_rare() {
  static const Rare kEmpty;
  return kEmpty;
}

void collect_slots(const CExpr& e, std::vector<std::int32_t>& out) {
  if (e.op == Op::Slot && std::find(out.begin(), out.end(), e.slot) == out.end()) out.push_back(e.slot);
  for (const CExpr& k : e.kids) collect_slots(k, out);
}

bool RuleSet::has_patterns() const {
  return std::any_of(rules.begin(), rules.end(), [](const CRule& r) { return !r.patterns().empty(); });
}

const CRule* RuleSet::find_rule(std::string_view name) const {
  for (const CRule& r : rules)
    if (r.name() == name) return &r;
  return nullptr;
}

std::string RuleSet::where(const ast::Loc& loc) const {
  return sources->name(loc.file) + ":" + std::to_string(sources->line_col(loc.file, loc.begin).line);
}

std::string_view RuleSet::text_of(const ast::Loc& loc) const {
  const std::string& t = sources->text(loc.file);
  if (loc.end <= loc.begin || loc.end > t.size()) return {};
  return std::string_view(t).substr(loc.begin, loc.end - loc.begin);
}

std::string RuleSet::expr_text(const ast::Loc& loc) const {
  const std::string& t = sources->text(loc.file);
  if (loc.end <= loc.begin || loc.end > t.size()) return {};
  std::size_t b = loc.begin, e = loc.end;
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  for (int guard = 0; guard < 256; ++guard) {
    // Parentheses closed without being opened, and opened without being
    // closed, outside strings.
    int depth = 0, unopened = 0;
    bool in_string = false;
    for (std::size_t i = b; i < e; ++i) {
      char c = t[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (depth > 0) --depth;
        else ++unopened;
      }
    }
    if (unopened > 0) {
      std::size_t i = b;
      while (i > 0 && blank(t[i - 1])) --i;
      if (i == 0 || t[i - 1] != '(') break;
      b = i - 1;
    } else if (depth > 0) {
      std::size_t i = e;
      while (i < t.size() && blank(t[i])) ++i;
      if (i == t.size() || t[i] != ')') break;
      e = i + 1;
    } else {
      break;
    }
  }
  return t.substr(b, e - b);
}

namespace checker_detail {

// "`a` uses `b`, which uses `c`": the chain of definitions, shortened in the
// middle when long (the first four and the last two are named).
std::string chain_text(const std::vector<std::string>& chain) {
  std::string out;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (chain.size() > 6 && i == 4) {
      out += ", which uses ... (" + std::to_string(chain.size() - 6) + " more)";
      i = chain.size() - 3;
      continue;
    }
    out += (i == 0 ? "`" : i == 1 ? " uses `" : ", which uses `") + chain[i] + "`";
  }
  return out;
}

std::string Checker::src(const ast::Loc& l) const {
  const std::string& t = sm_->text(l.file);
  if (l.end <= l.begin || l.end > t.size()) return "";
  return t.substr(l.begin, l.end - l.begin);
}

std::vector<std::string> Checker::all_names() const {
  std::vector<std::string> out;
  for (const auto& f : kb_->fields) out.push_back(f.name);
  for (const auto& c : kb_->conclusions) out.push_back(c.name);
  for (const auto& [n, v] : kb_->groups) out.push_back(n);
  for (const auto& st : kb_->standards) out.push_back(st.name);
  for (const auto& [n, t] : kb_->aliases) out.push_back(n);
  for (const auto& [n, d] : defs_) out.push_back(n);
  return out;
}

CExpr Checker::make_const(Value v, TypeId t, const ast::Loc& loc) {
  CExpr c;
  c.op = Op::Const;
  c.constant = consts_.get(std::move(v));
  c.type = t;
  c.loc = loc;
  return c;
}

void Checker::begin(const LoadedRules& files) {
  errors_before_ = diags_.error_count();
  // 1. Definitions from every file, so that order across files does not matter.
  for (const ast::File& f : files.files) {
    for (const ast::Definition& d : f.definitions) {
      const std::string& n = d.name.name;
      std::string clash;
      if (kb_->field_index(n) >= 0) clash = "a profile field";
      else if (kb_->conclusion_index(n) >= 0) clash = "a conclusion";
      else if (kb_->group(n)) clash = "a knowledge-base group";
      else if (kb_->standard(n)) clash = "a standard the knowledge base defines (kb/standards.json)";
      else if (kb_->alias(n)) clash = "an alias the knowledge base defines (kb/schema.json)";
      else if (n == "profile") clash = "the name that reads profile fields (`profile.x`)";
      if (!clash.empty()) {
        error(DiagKind::DuplicateDefinition, d.name.loc, "`" + n + "` is already " + clash);
        continue;
      }
      auto [it, fresh] = defs_.try_emplace(n);
      if (!fresh) {
        auto& diag = error(DiagKind::DuplicateDefinition, d.name.loc, "`" + n + "` is defined twice");
        diag.notes().push_back({it->second.def->name.loc, true, "first defined here"});
        continue;
      }
      it->second.def = &d;
      def_order_.push_back(n);
    }
  }
  for (const std::string& n : measure_definitions()) {
    DefEntry& e = defs_[n];
    bool used = e.used;
    resolve_definition(n, e.def->name.loc);
    e.used = used;
  }
  // 2. Templates and the strategy, from every file.
  const ast::StrategyDecl* strategy_decl = nullptr;
  for (const ast::File& f : files.files) {
    for (const ast::Template& t : f.templates) {
      if (kb_->field_index(t.name.name) >= 0 || kb_->conclusion_index(t.name.name) >= 0) {
        error(DiagKind::DuplicateDefinition, t.name.loc,
              "`" + t.name.name + "` is already a " +
                  (kb_->field_index(t.name.name) >= 0 ? "profile field" : "conclusion") +
                  "; a template needs a name of its own (rules read `" + t.name.name + "` as that " +
                  (kb_->field_index(t.name.name) >= 0 ? "field" : "conclusion") + ")");
        refused_templates_.insert(t.name.name);
        continue;
      }
      declare_template(t);
    }
    for (const ast::StrategyDecl& sd : f.strategies) {
      if (strategy_decl) {
        auto& d = error(DiagKind::DuplicateClause, sd.loc, "the rule set's strategy is declared twice");
        d.notes().push_back({strategy_decl->loc, true, "first declared here"});
        continue;
      }
      strategy_decl = &sd;
      if (auto st = parse_rule_strategy(sd.name.name)) {
        rs_.strategy = *st;
      } else {
        auto& d = error(DiagKind::UnknownStrategy, sd.name.loc, "unknown strategy `" + sd.name.name + "`");
        if (auto sug = did_you_mean(sd.name.name, {"advise", "depth", "breadth", "lex", "mea"}))
          d.message += "; did you mean `" + *sug + "`?";
      }
    }
  }
  // 3. Rules, in load order (add_rule), into arrays reserved ahead
  // (expect_rules): a vector's growth would hold its old and new arrays at once.
  rs_.sources = sm_;
  rehash(16);
}

void Checker::rehash(std::size_t slots) {
  taken_.assign(slots, -1);
  const std::size_t mask = slots - 1;
  for (std::size_t i = 0; i < checked_; ++i) {
    std::size_t h = std::hash<std::string_view>{}(taken_name(i)) & mask;
    while (taken_[h] >= 0) h = (h + 1) & mask;
    taken_[h] = static_cast<std::int32_t>(i);
  }
}

void Checker::expect_rules(std::size_t more) {
  std::size_t want = checked_ + more;
  if (more > capacity_left()) {
    // Past the bound given before: at least double, as a vector would.
    std::size_t cap = checked_ + capacity_left();
    if (cap > 0) want = std::max(want, cap * 2);
    if (keep_rules_) rs_.rules.reserve(want);
    else name_ends_.reserve(want);
    name_locs_.reserve(want);
  }
  if (want * 2 + 2 > taken_.size()) rehash(std::bit_ceil(want * 2 + 2));
}

void Checker::add_rule(const ast::Rule& r) {
  const auto index = static_cast<std::int32_t>(checked_);
  auto cr = rule(r, index);
  if (!cr) return;
  if (capacity_left() == 0) expect_rules(1);
  const std::size_t mask = taken_.size() - 1;
  std::size_t h = std::hash<std::string_view>{}(cr->name()) & mask;
  while (taken_[h] >= 0 && taken_name(static_cast<std::size_t>(taken_[h])) != cr->name()) h = (h + 1) & mask;
  if (taken_[h] < 0) {
    taken_[h] = index;
    name_locs_.push_back(r.short_form ? r.loc : r.name.loc);
    ++checked_;
    if (keep_rules_) {
      rs_.rules.push_back(std::move(*cr));
    } else {
      names_ += cr->name();
      name_ends_.push_back(names_.size());
    }
  } else {
    auto& d = error(DiagKind::DuplicateRule, r.short_form ? r.loc : r.name.loc,
                    "a rule named `" + std::string(cr->name()) + "` already exists");
    d.notes().push_back({name_locs_[static_cast<std::size_t>(taken_[h])], true, "the first rule of that name"});
  }
}

std::optional<RuleSet> Checker::finish() {
  taken_ = {};
  name_locs_ = {};
  names_ = {};
  name_ends_ = {};
  // 4. Unused definitions.
  for (const std::string& n : def_order_) {
    const DefEntry& e = defs_[n];
    if (!e.used && e.state == DefEntry::Resolved)
      error(DiagKind::UnusedDefinition, e.def->name.loc, "`" + n + "` is defined but never used");
    if (e.state == DefEntry::Resolved) rs_.definitions.emplace_back(n, e.value);
  }
  // The knowledge base's standards in force, so that explanations show their values.
  for (const Standard& st : kb_->standards)
    rs_.definitions.emplace_back(st.name, make_const(st.value(), types().number(), {}));
  if (diags_.error_count() > errors_before_) return std::nullopt;
  RuleSet rs = std::move(rs_);
  rs.templates = templates_;
  rs.kb = kb_;  // last: the rules' types were added to it
  rs.readers.assign(static_cast<std::size_t>(rs.slot_count()), {});
  for (const CRule& r : rs.rules)
    for (std::int32_t s : r.reads) rs.readers[static_cast<std::size_t>(s)].push_back(r.index);
  return rs;
}

std::optional<RuleSet> Checker::run_all(const LoadedRules& files, LoadedRules* release) {
  begin(files);
  std::size_t rule_count = 0;
  for (const ast::File& f : files.files) rule_count += f.rules.size();
  expect_rules(rule_count);
  for (std::size_t fi = 0; fi < files.files.size(); ++fi) {
    const ast::File& f = files.files[fi];
    std::uint32_t freed = 0;  // rules taken off the front of f.rules (with `release`)
    for (const ast::Item& item : f.items) {
      if (item.kind != ast::ItemKind::Rule) continue;
      add_rule(f.rules[item.index - freed]);
      // Rules are listed in the order of their items, so the one compiled is
      // the first left: taking it off frees its memory, the deque's blocks
      // included.
      if (release) {
        auto& left = release->files[fi].rules;
        if (item.index == freed) {
          left.pop_front();
          ++freed;
        } else {
          left[item.index - freed] = ast::Rule{};
        }
      }
    }
  }
  return finish();
}

std::optional<CExpr> Checker::condition_with(const ast::Expr& e, const RuleSet& rs) {
  for (const auto& [n, v] : rs.definitions) {
    DefEntry& d = defs_[n];
    d.state = DefEntry::Resolved;
    d.value = v;
    d.used = true;
  }
  return condition(e);
}

}  // namespace checker_detail

using checker_detail::Checker;

std::optional<RuleSet> check_rules(const LoadedRules& files, std::shared_ptr<const KnowledgeBase> kb,
                                   std::shared_ptr<const SourceManager> sources, Diagnostics& diags) {
  Checker c(std::move(kb), std::move(sources), diags);
  auto rs = c.run_all(files, nullptr);
  diags.sort();
  return rs;
}

std::optional<RuleSet> check_rules(LoadedRules&& files, std::shared_ptr<const KnowledgeBase> kb,
                                   std::shared_ptr<const SourceManager> sources, Diagnostics& diags) {
  Checker c(std::move(kb), std::move(sources), diags);
  auto rs = c.run_all(files, &files);
  diags.sort();
  return rs;
}

namespace {

bool declares(const ast::File& f) {
  return !f.definitions.empty() || !f.templates.empty() || !f.strategies.empty();
}

// load_rule_set's rules as they are parsed. While no file loaded so far
// declares anything (a constant, a group, an alias, a template, a strategy),
// each rule is checked and compiled as soon as it is parsed and its tree
// dropped: the rule set then has no declarations at all, and checking it
// rule by rule in load order is what check_rules does. At the first
// declaration that stops (the rules checked so far may use names declared
// later: docs/language.md): what was checked is dropped, and the rules
// parsed from then on are kept in their files, as load_rules keeps them,
// until the text read passes kKeepTrees: from there their trees are dropped
// too. Once every declaration is known (second_pass()), the files whose
// rules were dropped are parsed again and the others' kept rules read, in
// load order: only the files read before the first declaration (and the one
// holding it) and those past kKeepTrees are parsed twice. The checker's diagnostics are kept apart until loading
// ends, so that they come after the loader's and the parser's, as
// check_rules reports them.
class Streamed final : public RuleStream {
 public:
  Streamed(const std::shared_ptr<const KnowledgeBase>& kb, const std::shared_ptr<const SourceManager>& sm,
           bool keep_rules)
      : kb_(kb), sm_(sm), keep_(keep_rules) {
    checker_.emplace(kb_, sm_, checked_);
    if (!keep_) checker_->drop_rules();
    checker_->begin(LoadedRules{});
  }
  void begin(std::size_t most_rules) override {
    if (checker_) checker_->expect_rules(most_rules);
  }
  bool rule(ast::Rule& r, const ast::File& so_far) override {
    ++rules_;
    if (checker_ && declares(so_far)) stop();
    if (so_far.file != last_file_) {
      last_file_ = so_far.file;
      text_bytes_ += sm_->text(so_far.file).size();
    }
    if (!checker_ && text_bytes_ <= kKeepTrees) return false;  // kept in its file for second_pass()
    // Checked, or past kKeepTrees: the tree goes, and second_pass() parses
    // its file again.
    if (checker_) checker_->add_rule(r);
    dropped_.insert(so_far.file);
    ast::Rule gone = std::move(r);
    return true;
  }
  void accepted(const ast::File& file) override {
    if (checker_ && declares(file)) stop();
  }
  bool streamed() const { return checker_.has_value(); }
  // The rules checked, after finish() or second_pass() (kept or not).
  std::size_t rule_count() const { return rule_count_; }
  // Every rule checked while parsing: the rule set, the checker's
  // diagnostics after the loader's.
  std::optional<RuleSet> finish(Diagnostics& diags) {
    auto rs = checker_->finish();
    rule_count_ = checker_->rule_count();
    diags.append(std::move(checked_));
    return rs;
  }
  // The declarations of `files` first, then the rules in load order: a file
  // whose rules were dropped is parsed again, its rules checked as they come
  // (the parser's diagnostics were reported the first time); another's kept
  // rules are checked from its tree.
  std::optional<RuleSet> second_pass(LoadedRules& files, Diagnostics& diags) {
    checker_detail::Checker c(kb_, sm_, diags);
    if (!keep_) c.drop_rules();
    c.begin(files);
    c.expect_rules(rules_);
    struct Check final : RuleSink {
      checker_detail::Checker& c;
      explicit Check(checker_detail::Checker& ch) : c(ch) {}
      bool rule(ast::Rule& r, const ast::File&) override {
        c.add_rule(r);
        ast::Rule gone = std::move(r);
        return true;
      }
    } sink(c);
    for (ast::File& f : files.files) {
      if (dropped_.count(f.file)) {
        Diagnostics again;
        parse_source(*sm_, f.file, again, &sink);
        continue;
      }
      // Rules are listed in the order of their items, so the one checked is
      // the first left: taking it off frees its tree (as check_rules does).
      for (const ast::Item& item : f.items) {
        if (item.kind != ast::ItemKind::Rule) continue;
        c.add_rule(f.rules.front());
        f.rules.pop_front();
      }
    }
    auto rs = c.finish();
    rule_count_ = c.rule_count();
    return rs;
  }

 private:
  void stop() {
    checker_.reset();
    checked_.clear();
  }
  std::shared_ptr<const KnowledgeBase> kb_;
  std::shared_ptr<const SourceManager> sm_;
  Diagnostics checked_;
  std::optional<checker_detail::Checker> checker_;
  bool keep_ = true;                  // keep the compiled rules (Checker::drop_rules)
  std::size_t rules_ = 0;             // parsed, in every file
  std::size_t rule_count_ = 0;        // checked
  std::set<std::uint32_t> dropped_;  // files some of whose rules were dropped while parsing
  // A rule's tree takes about seven times its text: past this much text the
  // trees of the rules not checked while parsing are dropped too, and their
  // files parsed again (about a fifth more work for `check --no-analysis`),
  // so that a large rule set never holds every tree at once (docs/cli.md,
  // "Limits"). Below it, a rule set is parsed once.
  static constexpr std::size_t kKeepTrees = std::size_t{2} << 20;
  std::size_t text_bytes_ = 0;        // text of the files whose rules were parsed
  std::uint32_t last_file_ = ~std::uint32_t{0};
};

}  // namespace

namespace {

std::optional<RuleSet> load(const std::vector<std::string>& paths, const std::shared_ptr<const KnowledgeBase>& kb,
                            const std::shared_ptr<SourceManager>& sources, Diagnostics& diags, bool keep_rules,
                            std::size_t* rule_count) {
  Streamed stream(kb, sources, keep_rules);
  LoadedRules files = load_rules(paths, *sources, diags, &stream);
  bool parse_errors = diags.has_errors();
  auto rs = stream.streamed() ? stream.finish(diags) : stream.second_pass(files, diags);
  if (rule_count) *rule_count = stream.rule_count();
  diags.sort();
  if (parse_errors) return std::nullopt;
  return rs;
}

}  // namespace

std::optional<RuleSet> load_rule_set(const std::vector<std::string>& paths, std::shared_ptr<const KnowledgeBase> kb,
                                     std::shared_ptr<SourceManager> sources, Diagnostics& diags) {
  return load(paths, kb, sources, diags, true, nullptr);
}

std::optional<std::size_t> check_rule_files(const std::vector<std::string>& paths,
                                            std::shared_ptr<const KnowledgeBase> kb,
                                            std::shared_ptr<SourceManager> sources, Diagnostics& diags) {
  std::size_t count = 0;
  if (!load(paths, kb, sources, diags, false, &count)) return std::nullopt;
  return count;
}

std::optional<CExpr> check_condition(const ast::Expr& e, const RuleSet& rules, Diagnostics& diags) {
  Checker c(rules.kb, rules.sources, diags);
  return c.condition_with(e, rules);
}

}  // namespace advise
