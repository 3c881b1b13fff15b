#include "engine/compile.hpp"

#include <algorithm>

namespace advise {

bool numeric_cell(const KnowledgeBase& kb, TypeId t) { return t != kNoType && kb.types.numeric(t); }

namespace {

using rete::Cell;
using rete::Operand;
using rete::Test;
using rete::TestOp;

class Compiler {
 public:
  explicit Compiler(const RuleSet& rs) : rs_(rs), kb_(*rs.kb) {}

  PatternProgram run() {
    rete::NetworkBuilder b;
    builder_ = &b;
    for (const TemplateDef& t : rs_.templates) {
      rete::TemplateDesc d;
      d.name = t.name;
      for (const TemplateField& f : t.fields)
        d.fields.push_back({f.name(), numeric_cell(kb_, f.def.type) ? rete::CellKind::Number : rete::CellKind::Id});
      b.add_template(std::move(d));
    }
    out_.applicant_tmpl = b.add_template({"applicant", {}});
    for (const TemplateDef& t : rs_.templates) out_.field_read.emplace_back(t.fields.size(), 0);
    out_.offset.assign(rs_.rules.size(), 0);
    out_.global_read.assign(static_cast<std::size_t>(rs_.slot_count()), 0);
    for (const CRule& r : rs_.rules)
      if (!r.patterns().empty()) rule(b, r);
    rete::Strategy st = rete::Strategy::Advise;
    switch (rs_.strategy) {
      case RuleStrategy::Advise: st = rete::Strategy::Advise; break;
      case RuleStrategy::Depth: st = rete::Strategy::Depth; break;
      case RuleStrategy::Breadth: st = rete::Strategy::Breadth; break;
      case RuleStrategy::Lex: st = rete::Strategy::Lex; break;
      case RuleStrategy::Mea: st = rete::Strategy::Mea; break;
    }
    out_.net = b.finish(st);
    return std::move(out_);
  }

 private:
  const RuleSet& rs_;
  const KnowledgeBase& kb_;
  PatternProgram out_;
  rete::NetworkBuilder* builder_ = nullptr;  // while run() builds the network
  // The pattern being compiled.
  std::int32_t self_level_ = 0, offset_ = 0;

  std::int64_t intern(const std::string& s) {
    auto [it, fresh] = out_.string_ids.try_emplace(s, static_cast<std::int64_t>(out_.strings.size()));
    if (fresh) out_.strings.push_back(s);
    return it->second;
  }

  // A constant as a cell, when it is a scalar.
  bool const_cell(const Value& v, Cell& c) {
    return value_cell(v, c, [&](const std::string& t) { return intern(t); });
  }

  // An operand, when the expression is one: a field, an aggregate's value,
  // a scalar constant, or a slot holding a scalar.
  bool operand(const CExpr& e, Operand& o, bool& numeric) {
    switch (e.op) {
      case Op::FactField:
        o = e.level == self_level_ ? Operand::self(e.slot) : Operand::at(e.level + offset_, e.slot);
        numeric = numeric_cell(kb_, e.type);
        if (e.level == self_level_)
          mark_field(self_tmpl_, e.slot);
        else if (e.level >= 0 && static_cast<std::size_t>(e.level) < level_tmpl_.size())
          mark_field(level_tmpl_[static_cast<std::size_t>(e.level)], e.slot);
        return true;
      case Op::AggValue:
        o = Operand::agg(e.level + offset_);
        numeric = true;
        return true;
      case Op::Const: {
        Cell c;
        if (!const_cell(*e.constant, c)) return false;
        o = Operand::value(c);
        numeric = e.constant->kind == Value::Kind::Number;
        return true;
      }
      case Op::Slot: {
        TypeKind k = kb_.types.at(e.type).kind;
        if (k != TypeKind::Integer && k != TypeKind::Number && k != TypeKind::Boolean && k != TypeKind::Enum &&
            k != TypeKind::String)
          return false;
        o = Operand::global(e.slot);
        numeric = numeric_cell(kb_, e.type);
        return true;
      }
      default: return false;
    }
  }

  // The template of each level holding a fact (`for each`) of the rule
  // being compiled, and of the pattern being compiled.
  std::vector<std::int32_t> level_tmpl_;
  std::int32_t self_tmpl_ = -1;
  void mark_field(std::int32_t tmpl, std::int32_t field) {
    if (tmpl >= 0) out_.field_read[static_cast<std::size_t>(tmpl)][static_cast<std::size_t>(field)] = 1;
  }

  static bool reads_level(const Operand& o) { return o.kind == Operand::Kind::Level || o.kind == Operand::Kind::AggValue; }

  // Compiles one test into `out` (several when a predicate reads several slots).
  void test(const CExpr& e, std::vector<Test>& out) {
    static const std::pair<Op, TestOp> cmp[] = {{Op::Eq, TestOp::Eq}, {Op::Ne, TestOp::Ne}, {Op::Lt, TestOp::Lt},
                                                {Op::Le, TestOp::Le}, {Op::Gt, TestOp::Gt}, {Op::Ge, TestOp::Ge}};
    std::vector<std::int32_t> slots;
    collect_slots(e, slots);
    std::sort(slots.begin(), slots.end());  // the first reader test is the lowest slot, as before
    for (std::int32_t s : slots) out_.global_read[static_cast<std::size_t>(s)] = 1;
    for (auto [op, top] : cmp) {
      if (e.op != op || e.kids.size() != 2) continue;
      Operand a, b;
      bool na = false, nb = false;
      if (!operand(e.kids[0], a, na) || !operand(e.kids[1], b, nb)) break;
      bool ordering = top != TestOp::Eq && top != TestOp::Ne;
      if (na != nb || (ordering && !na)) break;
      out.push_back({top, a, b});
      return;
    }
    if ((e.op == Op::IsMissing || e.op == Op::IsPresent) && e.kids.size() == 1) {
      Operand a;
      bool n = false;
      if (operand(e.kids[0], a, n) && a.kind != Operand::Kind::Const) {
        out.push_back({e.op == Op::IsMissing ? TestOp::Missing : TestOp::Present, a, Operand::value({})});
        return;
      }
    }
    if ((e.op == Op::In || e.op == Op::NotIn) && e.kids.size() == 2 && e.kids[1].op == Op::Const) {
      // `x in {a, b}` against a constant list: one set test; `x in lo..hi`
      // against a constant range: two bounds (unknown when x is missing, as
      // the language says; `not in` a range stays a predicate).
      Operand a;
      bool n = false;
      const Value& c = *e.kids[1].constant;
      if (operand(e.kids[0], a, n) && a.kind != Operand::Kind::Const) {
        if (c.kind == Value::Kind::Range && n && e.op == Op::In) {
          out.push_back({TestOp::Ge, a, Operand::value(rete::number_cell(c.num))});
          out.push_back({TestOp::Le, a, Operand::value(rete::number_cell(c.hi))});
          return;
        }
        if (c.kind == Value::Kind::List) {
          rete::CellSet set;
          set.numeric = n;
          bool ok = true;
          for (const Value& item : c.list_items()) {
            Cell ic;
            ok = ok && const_cell(item, ic) && (item.kind == Value::Kind::Number) == n;
            set.cells.push_back(ic);
          }
          if (ok) {
            out.push_back({e.op == Op::In ? TestOp::In : TestOp::NotIn, a, Operand::value(rete::id_cell(builder_->set(std::move(set))))});
            return;
          }
        }
      }
    }
    if (e.op == Op::Truthy && e.kids.size() == 1) {
      Operand a;
      bool n = false;
      if (operand(e.kids[0], a, n) && !n) {
        out.push_back({TestOp::Eq, a, Operand::value(rete::id_cell(1))});
        return;
      }
    }
    // A boolean field as a condition (`p.takes_signals`): holds when true,
    // as `is true` (unknown, and so failing, when the field is missing).
    if (e.op == Op::FactField && kb_.types.at(e.type).kind == TypeKind::Boolean) {
      Operand a;
      bool n = false;
      if (operand(e, a, n)) {
        out.push_back({TestOp::Eq, a, Operand::value(rete::id_cell(1))});
        return;
      }
    }
    // A predicate over the checked expression.
    auto id = static_cast<std::int64_t>(out_.preds.size());
    out_.preds.push_back({&e, self_level_, offset_});
    // One that reads only the fact being tested and slots (a join's test, as
    // alpha tests read no slot) is kept by fact (rete.hpp, PredFact).
    TestOp op = self_level_ >= 0 && !slots.empty() && fact_and_slots(e) ? TestOp::PredFact : TestOp::Pred;
    Test t{op, Operand::value(rete::id_cell(id)), Operand::value(rete::id_cell(0))};
    if (op == TestOp::PredFact) {
      // Reading one scalar field of the fact, not one of the template's key
      // (as good as one value per fact): kept by that field's value.
      std::int32_t f = -1;
      const auto& key = rs_.templates[static_cast<std::size_t>(self_tmpl_)].key;
      if (one_field(e, f) && f >= 0 && f < 0x7ffe && std::find(key.begin(), key.end(), f) == key.end()) {
        t.lhs.field = static_cast<std::int16_t>(f + 1);
        mark_field(self_tmpl_, f);
      }
    }
    auto it = slots.begin();
    if (it != slots.end()) t.rhs = Operand::global(*it++);
    out.push_back(t);
    for (; it != slots.end(); ++it) out.push_back({TestOp::Reads, Operand::value({}), Operand::global(*it)});
  }

  // Whether the fields of the tested fact `e` reads are one field (`f`,
  // -1 while none is met) of a scalar type, whose cell stands for its value.
  bool one_field(const CExpr& e, std::int32_t& f) const {
    if (e.op == Op::FactField && e.level == self_level_) {
      TypeKind k = kb_.types.at(e.type).kind;
      if (k != TypeKind::Integer && k != TypeKind::Number && k != TypeKind::Boolean && k != TypeKind::Enum &&
          k != TypeKind::String)
        return false;
      if (f >= 0 && f != e.slot) return false;
      f = e.slot;
    }
    return std::all_of(e.kids.begin(), e.kids.end(), [&](const CExpr& k) { return one_field(k, f); });
  }

  // Reads no fact but the one being tested, and no aggregate's value.
  bool fact_and_slots(const CExpr& e) const {
    if (e.op == Op::AggValue) return false;
    if (e.op == Op::FactField && e.level != self_level_) return false;
    return std::all_of(e.kids.begin(), e.kids.end(), [&](const CExpr& k) { return fact_and_slots(k); });
  }

  bool self_only(const CExpr& e) const {
    if (e.op == Op::Slot || e.op == Op::AggValue) return false;
    if (e.op == Op::FactField && e.level != self_level_) return false;
    return std::all_of(e.kids.begin(), e.kids.end(), [&](const CExpr& k) { return self_only(k); });
  }

  void rule(rete::NetworkBuilder& b, const CRule& r) {
    std::int32_t parent = rete::NetworkBuilder::root();
    level_tmpl_.assign(static_cast<std::size_t>(std::max<int>(r.levels, 0)), -1);
    for (const CPattern& p : r.patterns())
      if (p.kind == CPattern::Kind::ForEach && p.level >= 0 && static_cast<std::size_t>(p.level) < level_tmpl_.size())
        level_tmpl_[static_cast<std::size_t>(p.level)] = p.tmpl;
    self_tmpl_ = -1;
    offset_ = r.guards().empty() ? 0 : 1;
    out_.offset[static_cast<std::size_t>(r.index)] = offset_;
    if (!r.guards().empty()) {
      self_level_ = -1;
      std::vector<Test> tests;
      for (const CExpr& g : r.guards()) test(g, tests);
      parent = b.join(parent, b.alpha(out_.applicant_tmpl, {}), {}, std::move(tests));
    }
    for (const CPattern& p : r.patterns()) {
      self_level_ = p.level;
      self_tmpl_ = p.tmpl;
      std::vector<Test> alpha, residual;
      std::vector<rete::KeyPair> keys;
      for (const CExpr& t : p.tests) {
        if (self_only(t)) {
          test(t, alpha);
          continue;
        }
        std::vector<Test> ts;
        test(t, ts);
        // An equality between this fact's field and an earlier fact's field: a join key.
        if (ts.size() == 1 && ts[0].op == TestOp::Eq) {
          const Test& x = ts[0];
          if (x.lhs.kind == Operand::Kind::Self && reads_level(x.rhs)) {
            keys.push_back({x.rhs, x.lhs.field});
            continue;
          }
          if (x.rhs.kind == Operand::Kind::Self && reads_level(x.lhs)) {
            keys.push_back({x.lhs, x.rhs.field});
            continue;
          }
        }
        residual.insert(residual.end(), ts.begin(), ts.end());
      }
      std::int32_t am = b.alpha(p.tmpl, std::move(alpha));
      switch (p.kind) {
        case CPattern::Kind::ForEach: parent = b.join(parent, am, std::move(keys), std::move(residual)); break;
        case CPattern::Kind::Exists: parent = b.exists(parent, am, std::move(keys), std::move(residual)); break;
        case CPattern::Kind::NotExists: parent = b.negative(parent, am, std::move(keys), std::move(residual)); break;
        case CPattern::Kind::Aggregate: {
          rete::AggKind k = rete::AggKind::Count;
          switch (p.agg) {
            case CPattern::Agg::Count: k = rete::AggKind::Count; break;
            case CPattern::Agg::Sum: k = rete::AggKind::Sum; break;
            case CPattern::Agg::Min: k = rete::AggKind::Min; break;
            case CPattern::Agg::Max: k = rete::AggKind::Max; break;
            case CPattern::Agg::Avg: k = rete::AggKind::Avg; break;
          }
          Operand value = p.agg == CPattern::Agg::Count ? Operand{} : Operand::self(p.value.slot);
          if (p.agg != CPattern::Agg::Count) mark_field(p.tmpl, p.value.slot);
          std::vector<Test> vt;
          self_level_ = -1;  // value tests see no fact of their own
          for (const CExpr& t : p.agg_tests) test(t, vt);
          parent = b.aggregate(parent, am, std::move(keys), std::move(residual), k, value, std::move(vt));
          break;
        }
      }
    }
    b.production(parent, r.index, r.priority, r.specificity, r.logical);
  }
};

}  // namespace

PatternProgram compile_patterns(const RuleSet& rs) { return Compiler(rs).run(); }

}  // namespace advise
