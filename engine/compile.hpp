// Compiles a checked rule set's patterns (dsl/ruleset.hpp, CPattern) into a
// Rete network (engine/rete.hpp): docs/engine.md, "Compilation".
//
// Each test of a pattern is classified: a test of the pattern's own fact
// against constants goes to the alpha memory; an equality between a field of
// its fact and a field of a fact bound earlier (of the same cell kind) is a
// join key; a comparison of two operands (fields, constants, slots,
// aggregate values) is a compiled rete::Test; anything else (arithmetic,
// `in` a group, `or`, `every`'s "not true") is a predicate, evaluated by the
// engine over the checked expression. The rule's guards (conjuncts over slots
// alone) are tested at a first join over the one `applicant` fact, so that a
// rule whose guard turns true later still matches.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "dsl/ruleset.hpp"
#include "engine/rete.hpp"

namespace advise {

// A scalar value as a matcher cell: numbers as numbers, booleans and enum
// values by their index, texts by the id `intern` gives them; false for a
// missing value, a list or a map. The compiler (constants) and the engine
// (facts and slots) convert alike.
template <typename Intern>
bool value_cell(const Value& v, rete::Cell& c, Intern&& intern) {
  switch (v.kind) {
    case Value::Kind::Number: c = rete::number_cell(v.num); return true;
    case Value::Kind::Bool: c = rete::id_cell(v.flag ? 1 : 0); return true;
    case Value::Kind::Symbol: c = rete::id_cell(v.sym); return true;
    case Value::Kind::Text: c = rete::id_cell(intern(*v.text)); return true;
    default: return false;
  }
}

struct PatternProgram {
  struct Pred {
    const CExpr* expr = nullptr;  // into the RuleSet, which the Engine keeps alive
    std::int32_t self_level = 0;  // FactField at this level reads the fact being tested
    std::int32_t offset = 0;      // level in a match = level in the rule + offset
  };
  rete::Network net;
  std::vector<Pred> preds;
  std::int32_t applicant_tmpl = -1;  // the built-in template of the one applicant fact
  std::vector<std::int32_t> offset;  // rule -> levels before its first pattern (1 with guards)
  std::vector<char> global_read;     // slot -> some test of the network reads it
  // Template -> field -> some compiled test, key or aggregate reads its cell
  // (the others are kept as values in the records only).
  std::vector<std::vector<char>> field_read;
  // Strings of the rules' constants; an evaluation interns more after them.
  std::vector<std::string> strings;
  std::unordered_map<std::string, std::int64_t> string_ids;
};

// Whether a value of this type is kept as a number cell (else an id cell).
bool numeric_cell(const KnowledgeBase& kb, TypeId t);

PatternProgram compile_patterns(const RuleSet& rs);

}  // namespace advise
