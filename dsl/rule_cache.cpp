// The start-up cache: see rule_cache.hpp and docs/engine.md, "Start-up".
//
// Layout of an entry (native byte order; an entry is never moved between
// machines, and one of another order fails the magic or the checksums):
//   0  magic "ADVRULES"            8 bytes
//   8  format version              u32 (kRuleCacheFormat)
//  12  header size                 u32 (kRuleCacheHeaderSize)
//  16  key                         u64 (hash of RuleCacheKey and the format)
//  24  payload length              u64
//  32  payload checksum            u64
//  40  header checksum             u64 (of bytes 0..40)
//  48  payload: the manifest (the files it was made from and the hashes of
//      their contents), the warnings, the knowledge base, what the checker
//      added to the rule set's copy of it, the rule set.
#include "dsl/rule_cache.hpp"

#include "dsl/cache_entry.hpp"
#include "dsl/cache_reader.hpp"
#include "dsl/cache_writer.hpp"

#include "dsl/parser.hpp"  // kMaxSourceBytes

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace advise {

// Friend of KnowledgeBase: its name indexes are private.
struct RuleCacheCodec {
  static void reindex(KnowledgeBase& kb) { kb.index(); }
};

namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'A', 'D', 'V', 'R', 'U', 'L', 'E', 'S'};
// Expressions and values nest at most this deep in an entry; the checker
// limits rule nesting to kMaxNesting (256) levels, and a definition's use
// adds some.
constexpr int kMaxDepth = 4096;
// The largest file the manifest hashes (a knowledge-base folder may hold
// anything; rule files are at most kMaxSourceBytes).
constexpr std::uintmax_t kMaxManifestFile = 64u * 1024u * 1024u;

std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

std::uint64_t fmix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// A fast 64-bit hash of bytes (not cryptographic: it detects changed files
// and damaged entries, see docs/engine.md): four lanes of eight bytes, each
// a multiply and a rotation per word, mixed at the end.
std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed = 0x5bd1e995a3c1f2d9ULL) {
  constexpr std::uint64_t k1 = 0x87c37b91114253d5ULL, k2 = 0x4cf5ad432745937fULL;
  std::uint64_t l0 = seed, l1 = seed ^ k1, l2 = seed ^ k2, l3 = seed ^ (k1 + k2);
  const char* p = s.data();
  std::size_t n = s.size();
  auto word = [](const char* at) {
    std::uint64_t w;
    std::memcpy(&w, at, 8);
    return w;
  };
  while (n >= 32) {
    l0 = rotl(l0 + word(p) * k1, 31) * k2;
    l1 = rotl(l1 + word(p + 8) * k1, 31) * k2;
    l2 = rotl(l2 + word(p + 16) * k1, 31) * k2;
    l3 = rotl(l3 + word(p + 24) * k1, 31) * k2;
    p += 32;
    n -= 32;
  }
  std::uint64_t lane[4] = {l0, l1, l2, l3};
  std::uint64_t h = fmix(s.size() * 0x9e3779b97f4a7c15ULL);
  for (std::uint64_t l : lane) h = fmix(h ^ l) * k1;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = rotl(h ^ fmix(w * k1), 27) * k2;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = rotl(h ^ fmix(w * k1), 27) * k2;
  }
  return fmix(h);
}

// ---------------------------------------------------------------- writing

// Writes the payload (dsl/cache_writer.hpp), with the rule files' texts
// to place literal runs in, and the depth check.
struct Out : cache_detail::Writer {
  // The rule files' texts, by address: a template's literal run that is a
  // view into one (TextPiece) is written as where it is, so that a cache hit
  // holds a view too, not a copy.
  std::vector<std::pair<std::string_view, std::uint32_t>> texts;  // sorted by data()
  void index_texts(const SourceManager& sources) {
    for (std::uint32_t i = 0; i < sources.size(); ++i) texts.emplace_back(sources.text(i), i);
    std::sort(texts.begin(), texts.end(),
              [](const auto& x, const auto& y) { return std::less<const char*>()(x.first.data(), y.first.data()); });
  }
  // The file holding all of `s`, and where in it.
  bool locate(std::string_view s, std::uint32_t& file, std::uint32_t& offset) const {
    auto it = std::upper_bound(texts.begin(), texts.end(), s.data(), [](const char* p, const auto& t) {
      return std::less<const char*>()(p, t.first.data());
    });
    if (it == texts.begin()) return false;
    --it;
    std::string_view t = it->first;
    if (std::less<const char*>()(t.data() + t.size(), s.data()) ||
        static_cast<std::size_t>(s.data() - t.data()) + s.size() > t.size())
      return false;
    file = it->second;
    offset = static_cast<std::uint32_t>(s.data() - t.data());
    return true;
  }
  // What In (below) reads as opt, strs and i32s.
  void opt(const std::optional<double>& d) {
    flag(d.has_value());
    if (d) f64(*d);
  }
  void strs(const std::vector<std::string>& v) {
    count(v.size());
    for (const std::string& s : v) str(s);
  }
  template <class V>
  void i32s(const V& v) {
    count(v.size());
    for (std::int32_t x : v) i32(x);
  }
  bool too_deep = false;  // an expression or value deeper than kMaxDepth: no entry is written
};

void put(Out& o, const Value& v, int depth = 0) {
  if (depth > kMaxDepth) o.too_deep = true;
  o.u8(static_cast<std::uint8_t>(v.kind));
  switch (v.kind) {
    case Value::Kind::Missing: break;
    case Value::Kind::Bool: o.flag(v.flag); break;
    case Value::Kind::Number: o.f64(v.num); break;
    case Value::Kind::Symbol:
      o.i32(v.enum_id);
      o.i32(v.sym);
      break;
    case Value::Kind::Text: o.str(v.text ? *v.text : std::string()); break;
    case Value::Kind::Range:
      o.f64(v.num);
      o.f64(v.hi);
      break;
    case Value::Kind::List:
    case Value::Kind::Map: {
      const ValueList& items = v.list_items();
      o.count(items.size());
      for (const Value& x : items) put(o, x, depth + 1);
      break;
    }
  }
}

void put(Out& o, const ast::Loc& l) {
  o.u32(l.file);
  o.u32(l.begin);
  o.u32(l.end);
}

void put(Out& o, const FieldDef& f) {
  o.str(f.name);
  o.i32(f.type);
  o.opt(f.min);
  o.opt(f.max);
  o.str(f.description);
  const Actionability& a = f.actionable;
  o.u8(static_cast<std::uint8_t>(a.change));
  o.flag(a.conditional);
  o.flag(a.while_missing);
  o.opt(a.while_below);
  o.strs(a.while_in);
  o.str(a.fixed_because);
  put(o, f.hoped_for);
  o.flag(f.every_report);
  o.strs(f.every_report_given);
  o.count(f.every_report_when.size());
  for (const auto& [name, values] : f.every_report_when) {
    o.str(name);
    o.strs(values);
  }
  o.str(f.label);
}

void put(Out& o, const EnumDef& e) {
  o.str(e.name);
  o.strs(e.values);
  o.strs(e.labels);
}

void put(Out& o, const TypeDesc& d) {
  o.u8(static_cast<std::uint8_t>(d.kind));
  o.i32(d.enum_id);
  o.i32(d.elem);
  o.i32(d.key);
}

void put_kb(Out& o, const KnowledgeBase& kb) {
  // Enums first: types name them.
  o.count(kb.enums.size());
  for (const EnumDef& e : kb.enums) put(o, e);
  o.count(kb.types.size());
  for (std::size_t i = 0; i < kb.types.size(); ++i) put(o, kb.types.at(static_cast<TypeId>(i)));
  for (const auto* v : {&kb.fields, &kb.conclusions, &kb.specialty_attributes}) {
    o.count(v->size());
    for (const FieldDef& f : *v) put(o, f);
  }
  o.count(kb.specialties.size());
  for (const Specialty& s : kb.specialties) {
    o.str(s.id);
    o.count(s.attributes.size());
    for (const Value& v : s.attributes) put(o, v);
    o.str(s.source);
  }
  o.count(kb.figures.size());
  for (const Figure& f : kb.figures) {
    o.str(f.id);
    o.str(f.text);
    o.str(f.source);
    o.i32(f.year);
    o.flag(f.secondary);
  }
  o.count(kb.groups.size());
  for (const auto& [name, v] : kb.groups) {
    o.str(name);
    put(o, v);
  }
  o.count(kb.standards.size());
  for (const Standard& s : kb.standards) {
    o.str(s.name);
    o.str(s.description);
    o.str(s.source);
    o.flag(s.secondary);
    o.count(s.history.size());
    for (const Standard::Step& st : s.history) {
      o.str(st.from);
      o.f64(st.value);
    }
    o.count(s.in_force);
  }
  o.str(kb.standards_as_of);
  o.count(kb.aliases.size());
  for (const auto& [name, target] : kb.aliases) {
    o.str(name);
    o.str(target);
  }
  o.str(kb.directory);
  o.i32(kb.specialty_enum);
  o.i32(kb.figure_enum);
  o.i32(kb.category_enum);
  o.i32(kb.class_enum);
}

void put(Out& o, const CExpr& e, int depth = 0) {
  if (depth > kMaxDepth) o.too_deep = true;
  o.u8(static_cast<std::uint8_t>(e.op));
  o.i32(e.type);
  o.i32(e.slot);
  o.i32(e.level);
  put(o, *e.constant);
  put(o, e.loc);
  o.count(e.kids.size());
  for (const CExpr& k : e.kids) put(o, k, depth + 1);
}

void put(Out& o, const std::vector<CExpr>& v) {
  o.count(v.size());
  for (const CExpr& e : v) put(o, e);
}

void put(Out& o, const TextTemplate& t) {
  o.count(t.segments.size());
  for (const TextTemplate::Segment& s : t.segments) {
    std::uint32_t file = 0, offset = 0;
    if (s.literal.is_view() && o.locate(s.literal.str(), file, offset)) {
      o.u8(s.literal.after_space() ? 2 : 1);
      o.u32(file);
      o.u32(offset);
      o.count(s.literal.str().size());
    } else {
      // An owned run: its bytes as read (a view is always in one of the
      // rule set's files, so only a copy comes here, and the checker puts a
      // copy's space in its bytes; the space is written all the same).
      std::string_view bytes = s.literal.str();
      bool space = s.literal.after_space();
      o.u8(0);
      o.count(bytes.size() + (space ? 1 : 0));
      if (space) o.raw(" ", 1);
      o.raw(bytes.data(), bytes.size());
    }
    o.flag(s.is_expr());
    if (!s.is_expr()) continue;
    put(o, s.place->expr);
    o.flag(s.place->counted);
    o.str(s.place->singular);
    o.str(s.place->plural);
  }
}

void put(Out& o, const CAction& a) {
  o.u8(static_cast<std::uint8_t>(a.kind));
  put(o, a.loc);
  o.i32(a.slot);
  o.flag(a.indexed);
  put(o, a.value);
  o.flag(a.add_each);
  o.i32(a.category);
  put(o, a.text);
  o.i32(a.tmpl);
  o.i32(a.level);
  o.flag(static_cast<bool>(a.rare));
  if (!a.rare) return;
  put(o, a.rare->key);
  o.str(a.rare->id);
  o.count(a.rare->fields.size());
  for (const auto& [field, value] : a.rare->fields) {
    o.i32(field);
    put(o, value);
  }
}

void put(Out& o, const CPattern& p) {
  o.u8(static_cast<std::uint8_t>(p.kind));
  o.i32(p.tmpl);
  o.str(p.var);
  o.i32(p.level);
  put(o, p.loc);
  put(o, p.tests);
  o.u8(static_cast<std::uint8_t>(p.agg));
  put(o, p.value);
  put(o, p.agg_tests);
}

void put(Out& o, const CRule& r) {
  o.i32(r.index);
  o.str(r.name());
  o.str(r.description());
  o.str(r.source());
  o.i32(r.priority);
  o.i32(r.category);
  o.flag(r.short_form);
  put(o, r.condition);
  o.count(r.actions.size());
  for (const CAction& a : r.actions) put(o, a);
  put(o, r.loc);
  o.i32(r.specificity);
  o.i32s(r.reads);
  o.i32s(r.writes);
  o.flag(r.logical);
  o.i32(r.levels);
  o.flag(static_cast<bool>(r.rare));
  if (!r.rare) return;
  o.i32s(r.rare->stages);
  o.count(r.rare->patterns.size());
  for (const CPattern& p : r.rare->patterns) put(o, p);
  put(o, r.rare->guards);
}

void put(Out& o, const TemplateDef& t) {
  o.str(t.name);
  o.str(t.doc);
  o.count(t.fields.size());
  for (const TemplateField& f : t.fields) {
    put(o, f.def);
    o.str(f.display);
    o.flag(f.required);
    o.flag(f.default_value.has_value());
    if (f.default_value) put(o, *f.default_value);
    o.flag(f.accepts_none);
    o.i32(f.none_flag);
    o.i32(f.none_of);
    o.u8(static_cast<std::uint8_t>(f.format));
    o.i32(f.digits);
    o.i32(f.derive_from);
    o.i32s(f.derive_map);
    o.str(f.derive_table);
  }
  o.i32s(t.key);
  o.str(t.file);
  o.flag(t.kb_specialties);
  o.count(t.checks.size());
  for (const TemplateCheck& c : t.checks) {
    o.u8(static_cast<std::uint8_t>(c.kind));
    o.i32(c.field);
    o.i32s(c.others);
    o.str(c.why);
    o.flag(c.warning);
    o.count(c.allowed.size());
    for (const auto& a : c.allowed) o.i32s(a);
    o.u32(static_cast<std::uint32_t>(c.digit_from));
    o.u32(static_cast<std::uint32_t>(c.digit_count));
    o.count(c.codes.size());
    for (const std::string& code : c.codes) o.str(code);
    o.str(c.table);
  }
}

// ---------------------------------------------------------------- reading

// Reads the payload (dsl/cache_reader.hpp), with what its index checks
// are checked against.
struct In : cache_detail::Reader {
  using Reader::Reader;
  // Context for the index checks.
  std::vector<std::uint32_t> source_sizes;
  const SourceManager* sources = nullptr;  // the rule files read again: views into their texts
  std::size_t enums = 0;
  const std::vector<EnumDef>* enum_defs = nullptr;
  std::size_t types = 0;
  std::size_t slots = 0;
  std::size_t templates = 0;
  std::size_t categories = 0;  // values of the `category` enum
  ConstPool consts;            // equal scalar constants shared, as the checker does

  std::optional<double> opt() {
    if (!flag()) return std::nullopt;
    return f64();
  }
  std::vector<std::string> strs() {
    std::vector<std::string> v(count(4));
    for (std::string& s : v) s = str();
    return v;
  }
  std::vector<std::int32_t> i32s() {
    std::vector<std::int32_t> v(count(4));
    for (std::int32_t& x : v) x = i32();
    return v;
  }
  void i32s_into(SlotList& out) {
    std::size_t n = count(4);
    std::int32_t* dst = out.reset(n);
    for (std::size_t i = 0; i < n; ++i) dst[i] = i32();
  }
  // An index in [lo, n).
  [[gnu::always_inline]] std::int32_t index(std::int32_t lo, std::size_t n, const char* why) {
    std::int32_t v = i32();
    if (v < lo || (v >= 0 && static_cast<std::size_t>(v) >= n)) fail(why);
    return v;
  }
  [[gnu::always_inline]] TypeId type() { return index(-1, types, "a type is out of range"); }
  template <typename E>
  [[gnu::always_inline]] E kind(E last) {
    std::uint8_t v = u8();
    if (v > static_cast<std::uint8_t>(last)) fail("a kind is out of range");
    return static_cast<E>(v);
  }
};

void get(In& in, Value& v, int depth = 0) {
  if (depth > kMaxDepth) return in.fail("a value nests too deep");
  auto kind = in.kind(Value::Kind::Map);
  switch (kind) {
    case Value::Kind::Missing:
      if (!v.is_missing()) v = Value::missing();
      break;
    case Value::Kind::Bool: v = Value::boolean(in.flag()); break;
    case Value::Kind::Number: v = Value::number(in.f64()); break;
    case Value::Kind::Symbol: {
      std::int32_t e = in.index(0, in.enums, "a symbol's enum is out of range");
      std::int32_t s = in.i32();
      if (!in.ok()) return;
      if (s < 0 || static_cast<std::size_t>(s) >= (*in.enum_defs)[static_cast<std::size_t>(e)].values.size())
        return in.fail("a symbol is out of range");
      v = Value::symbol(e, s);
      break;
    }
    case Value::Kind::Text: v = Value::string(in.str()); break;
    case Value::Kind::Range: {
      double lo = in.f64();
      v = Value::range(lo, in.f64());
      break;
    }
    case Value::Kind::List:
    case Value::Kind::Map: {
      ValueList items(in.count());
      for (Value& x : items) get(in, x, depth + 1);
      if (kind == Value::Kind::Map && items.size() % 2 != 0) return in.fail("a map has an odd number of items");
      v = kind == Value::Kind::List ? Value::list(std::move(items)) : Value::map(std::move(items));
      break;
    }
  }
}

[[gnu::always_inline]] inline ConstRef get_const(In& in) {
  Value v;
  get(in, v);
  return in.consts.get(std::move(v));
}

void get(In& in, ast::Loc& l) {
  l.file = in.u32();
  l.begin = in.u32();
  l.end = in.u32();
  bool none = l.file == 0 && l.begin == 0 && l.end == 0;
  if (!none && (l.file >= in.source_sizes.size() || l.begin > l.end || l.end > in.source_sizes[l.file]))
    in.fail("a source location is out of range");
}

void get(In& in, FieldDef& f) {
  f.name = in.str();
  f.type = in.type();
  f.min = in.opt();
  f.max = in.opt();
  f.description = in.str();
  Actionability& a = f.actionable;
  a.change = in.kind(Actionability::Change::Down);
  a.conditional = in.flag();
  a.while_missing = in.flag();
  a.while_below = in.opt();
  a.while_in = in.strs();
  a.fixed_because = in.str();
  get(in, f.hoped_for);
  f.every_report = in.flag();
  f.every_report_given = in.strs();
  f.every_report_when.resize(in.count(8));
  for (auto& [name, values] : f.every_report_when) {
    name = in.str();
    values = in.strs();
  }
  f.label = in.str();
}

void get(In& in, EnumDef& e) {
  e.name = in.str();
  e.values = in.strs();
  e.labels = in.strs();
}

// Types are interned in order: a type refers to enums and to types before it.
void get_types(In& in, TypeTable& types, std::size_t n, std::size_t first) {
  for (std::size_t i = first; i < n && in.ok(); ++i) {
    TypeDesc d;
    d.kind = in.kind(TypeKind::Map);
    d.enum_id = in.i32();
    d.elem = in.i32();
    d.key = in.i32();
    auto before = [&](TypeId t) { return t == kNoType || (t >= 0 && static_cast<std::size_t>(t) < i); };
    if (!before(d.elem) || !before(d.key) ||
        (d.kind == TypeKind::Enum && (d.enum_id < 0 || static_cast<std::size_t>(d.enum_id) >= in.enums)))
      return in.fail("a type refers to what is out of range");
    if (i < types.size()) {
      if (!(types.at(static_cast<TypeId>(i)) == d)) return in.fail("a primitive type differs");
    } else if (types.intern(d) != static_cast<TypeId>(i)) {
      return in.fail("a type is there twice");
    }
  }
}

void get_kb(In& in, KnowledgeBase& kb) {
  kb.enums.resize(in.count(12));
  for (EnumDef& e : kb.enums) get(in, e);
  in.enums = kb.enums.size();
  in.enum_defs = &kb.enums;
  get_types(in, kb.types, in.count(13), 0);
  if (!in.ok()) return;
  in.types = kb.types.size();
  for (auto* v : {&kb.fields, &kb.conclusions, &kb.specialty_attributes}) {
    v->resize(in.count(40));
    for (FieldDef& f : *v) get(in, f);
  }
  kb.specialties.resize(in.count(12));
  for (Specialty& s : kb.specialties) {
    s.id = in.str();
    s.attributes.resize(in.count());
    for (Value& v : s.attributes) get(in, v);
    s.source = in.str();
  }
  kb.figures.resize(in.count(17));
  for (Figure& f : kb.figures) {
    f.id = in.str();
    f.text = in.str();
    f.source = in.str();
    f.year = in.i32();
    f.secondary = in.flag();
  }
  kb.groups.resize(in.count(5));
  for (auto& [name, v] : kb.groups) {
    name = in.str();
    get(in, v);
  }
  kb.standards.resize(in.count(17));
  for (Standard& s : kb.standards) {
    s.name = in.str();
    s.description = in.str();
    s.source = in.str();
    s.secondary = in.flag();
    s.history.resize(in.count(12));
    for (Standard::Step& st : s.history) {
      st.from = in.str();
      st.value = in.f64();
    }
    s.in_force = in.u32();
    if (s.in_force >= s.history.size()) return in.fail("a standard's value in force is out of range");
  }
  kb.standards_as_of = in.str();
  kb.aliases.resize(in.count(8));
  for (auto& [name, target] : kb.aliases) {
    name = in.str();
    target = in.str();
  }
  kb.directory = in.str();
  kb.specialty_enum = in.index(-1, kb.enums.size(), "an enum is out of range");
  kb.figure_enum = in.index(-1, kb.enums.size(), "an enum is out of range");
  kb.category_enum = in.index(-1, kb.enums.size(), "an enum is out of range");
  kb.class_enum = in.index(-1, kb.enums.size(), "an enum is out of range");
  if (kb.specialty_enum >= 0 && kb.enums[static_cast<std::size_t>(kb.specialty_enum)].values.size() != kb.specialties.size())
    return in.fail("the specialties do not match their enum");
  if (kb.figure_enum >= 0 && kb.enums[static_cast<std::size_t>(kb.figure_enum)].values.size() != kb.figures.size())
    return in.fail("the figures do not match their enum");
  for (const Specialty& s : kb.specialties)
    if (s.attributes.size() != kb.specialty_attributes.size()) return in.fail("a specialty's attributes do not match");
}

void get(In& in, CExpr& e, int depth = 0) {
  if (depth > kMaxDepth) return in.fail("an expression nests too deep");
  e.op = in.kind(Op::Untrue);
  e.type = in.type();
  e.slot = in.i32();
  if (e.op == Op::Slot && (e.slot < 0 || static_cast<std::size_t>(e.slot) >= in.slots))
    return in.fail("a slot is out of range");
  std::int32_t level = in.i32();
  if (level < -1 || level >= kMaxRuleLevels) return in.fail("a level is out of range");
  e.level = static_cast<std::int16_t>(level);
  if (in.p < in.end && *in.p == static_cast<char>(Value::Kind::Missing))
    ++in.p;  // most nodes hold no constant
  else
    e.constant = get_const(in);
  get(in, e.loc);
  e.kids.resize(in.count(13));
  for (CExpr& k : e.kids) get(in, k, depth + 1);
}

void get(In& in, std::vector<CExpr>& v) {
  v.resize(in.count(13));
  for (CExpr& e : v) get(in, e);
}

void get(In& in, TextTemplate& t) {
  t.segments.resize(in.count(6));
  for (TextTemplate::Segment& s : t.segments) {
    std::uint8_t form = in.u8();  // 0: the text; 1: its place in a rule file; 2: the same, read after a space
    if (form > 2) return in.fail("a text's form is out of range");
    if (form > 0) {
      std::uint32_t file = in.u32(), offset = in.u32(), size = in.u32();
      if (!in.ok()) return;
      if (!in.sources || file >= in.source_sizes.size() || offset > in.source_sizes[file] ||
          size > in.source_sizes[file] - offset) {
        in.fail("a text's place in its rule file is out of range");
        return;
      }
      s.literal = TextPiece::view(std::string_view(in.sources->text(file)).substr(offset, size), form == 2);
    } else {
      s.literal = TextPiece::copy(in.str());
    }
    if (!in.flag()) continue;
    TextTemplate::Placeholder& p = s.place.make();
    get(in, p.expr);
    p.counted = in.flag();
    p.singular = in.str();
    p.plural = in.str();
  }
}

void get(In& in, CAction& a) {
  a.kind = in.kind(ast::ActionKind::Remove);
  get(in, a.loc);
  a.slot = in.index(-1, in.slots, "a slot is out of range");
  a.indexed = in.flag();
  get(in, a.value);
  a.add_each = in.flag();
  a.category = in.index(-1, in.categories, "a category is out of range");
  get(in, a.text);
  a.tmpl = in.index(-1, in.templates, "a template is out of range");
  a.level = in.i32();
  if (!in.flag()) return;
  CAction::Rare& rare = a.rare.make();
  get(in, rare.key);
  rare.id = in.str();
  rare.fields.resize(in.count(17));
  for (auto& [field, value] : rare.fields) {
    field = in.i32();
    get(in, value);
  }
}

void get(In& in, CPattern& p) {
  p.kind = in.kind(CPattern::Kind::Aggregate);
  p.tmpl = in.index(0, in.templates, "a template is out of range");
  p.var = in.str();
  p.level = in.i32();
  get(in, p.loc);
  get(in, p.tests);
  p.agg = in.kind(CPattern::Agg::Avg);
  get(in, p.value);
  get(in, p.agg_tests);
}

void get(In& in, CRule& r) {
  r.index = in.i32();
  std::string_view name = in.view();
  std::string_view description = in.view();
  r.texts = RuleTexts(name, description, in.view());
  r.priority = in.i32();
  r.category = in.index(-1, in.categories, "a category is out of range");
  r.short_form = in.flag();
  get(in, r.condition);
  r.actions.resize(in.count(64));
  for (CAction& a : r.actions) get(in, a);
  get(in, r.loc);
  r.specificity = in.i32();
  in.i32s_into(r.reads);
  in.i32s_into(r.writes);
  for (std::int32_t s : r.reads)
    if (s < 0 || static_cast<std::size_t>(s) >= in.slots) return in.fail("a slot is out of range");
  for (std::int32_t s : r.writes)
    if (s < 0 || static_cast<std::size_t>(s) >= in.slots) return in.fail("a slot is out of range");
  r.logical = in.flag();
  std::int32_t levels = in.i32();
  if (levels < 0 || levels > kMaxRuleLevels) return in.fail("a rule's levels are out of range");
  r.levels = static_cast<std::int16_t>(levels);
  if (!in.flag()) return;
  CRule::Rare& rare = r.rare.make();
  rare.stages = in.i32s();
  rare.patterns.resize(in.count(40));
  for (CPattern& p : rare.patterns) get(in, p);
  get(in, rare.guards);
}

void get(In& in, TemplateDef& t) {
  t.name = in.str();
  t.doc = in.str();
  t.fields.resize(in.count(64));
  for (TemplateField& f : t.fields) {
    get(in, f.def);
    f.display = in.str();
    f.required = in.flag();
    if (in.flag()) {
      Value v;
      get(in, v);
      f.default_value = std::move(v);
    }
    f.accepts_none = in.flag();
    f.none_flag = in.i32();
    f.none_of = in.i32();
    f.format = in.kind(TextFormat::Digits);
    f.digits = in.i32();
    f.derive_from = in.i32();
    f.derive_map = in.i32s();
    f.derive_table = in.str();
  }
  t.key = in.i32s();
  t.file = in.str();
  t.kb_specialties = in.flag();
  for (std::int32_t k : t.key)
    if (k < 0 || static_cast<std::size_t>(k) >= t.fields.size()) return in.fail("a template's key is out of range");
  // Its checks across fields (kb/templates.json `checks`).
  auto field_ok = [&](std::int32_t f) { return f >= 0 && static_cast<std::size_t>(f) < t.fields.size(); };
  t.checks.resize(in.count(8));
  for (TemplateCheck& c : t.checks) {
    c.kind = in.kind(TemplateCheck::Kind::Code);
    c.field = in.i32();
    c.others = in.i32s();
    c.why = in.str();
    c.warning = in.flag();
    c.allowed.resize(in.count(4));
    for (auto& a : c.allowed) a = in.i32s();
    c.digit_from = in.u32();
    c.digit_count = in.u32();
    c.codes.resize(in.count(4));
    for (std::string& code : c.codes) code = in.str();
    c.table = in.str();
    if (!field_ok(c.field) || !std::all_of(c.others.begin(), c.others.end(), field_ok))
      return in.fail("a template check's field is out of range");
  }
}

// ---------------------------------------------------------------- files

// A file's bytes, read without first zeroing the buffer.
struct Bytes {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  std::string_view view() const { return {data.get(), size}; }
};

// Reads a whole regular file of at most `limit` bytes. `own_only`: not
// through a symbolic link, and only a file of this user that no one else
// may write (the cache entry).
bool read_file(const std::string& path, std::uintmax_t limit, Bytes& out, bool own_only = false) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (own_only ? O_NOFOLLOW : 0));
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::uintmax_t>(st.st_size) > limit) return false;
  if (own_only && (st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)) return false;
  out.size = static_cast<std::size_t>(st.st_size);
  out.data.reset(new char[out.size + 1]);
  std::size_t got = 0;
  while (got < out.size + 1) {  // one byte more: a file that grew is refused
    ssize_t n = ::read(fd, out.data.get() + got, out.size + 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got == out.size;
}

// The regular files of a knowledge-base folder (every one: a table may have
// any name), sorted.
struct KbFile {
  std::string name;
  bool json = false;  // a `.json` file: compared by content; another by size and time
  std::uint64_t size = 0, mtime_ns = 0;
};

std::vector<KbFile> kb_files(const std::string& dir) {
  std::vector<KbFile> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (const struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    bool regular = e->d_type == DT_REG;
    if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) {  // as std::filesystem: a link to a file counts
      struct stat st {};
      regular = ::stat((dir + "/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
    }
    if (!regular) continue;
    KbFile f;
    f.json = name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0;
    f.name = std::move(name);
    out.push_back(std::move(f));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const KbFile& a, const KbFile& b) { return a.name < b.name; });
  return out;
}

bool stat_file(const std::string& path, std::uint64_t& size, std::uint64_t& mtime_ns) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  size = static_cast<std::uint64_t>(st.st_size);
  mtime_ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000u + static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  return true;
}

// The names of those files.
std::vector<std::string> kb_listing(const std::string& dir) {
  std::vector<std::string> names;
  for (KbFile& f : kb_files(dir)) names.push_back(std::move(f.name));
  return names;
}

// The `.rules` files of a rule folder, as load_rules finds them.
std::vector<std::string> rules_listing(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".rules") names.push_back(it->path().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::uint64_t listing_hash(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& n : names) {
    joined += n;
    joined.push_back('\0');
  }
  return hash_bytes(joined);
}

std::uint64_t key_hash(const RuleCacheKey& k) {
  Out o;
  o.u32(kRuleCacheFormat);
  o.str(k.binary_id);
  o.str(k.kb_dir);
  o.strs(k.paths);
  o.str(k.cwd);
  return hash_bytes(o.view(), 0x2545f4914f6cdd1dULL);
}

static_assert(kRuleCacheHeaderSize == cache_detail::kEntryHeaderSize);

// Writes the header over the first kRuleCacheHeaderSize of the entry's
// `size` bytes.
void put_header(char* bytes, std::size_t size, std::uint64_t key, std::uint32_t format = kRuleCacheFormat) {
  cache_detail::seal_entry(bytes, size, kMagic, format, key);
}

}  // namespace

void cache_detail::seal_entry(char* bytes, std::size_t size, const char (&magic)[8], std::uint32_t format,
                              std::uint64_t key) {
  Writer h;
  h.raw(magic, 8);
  h.u32(format);
  h.u32(static_cast<std::uint32_t>(kEntryHeaderSize));
  h.u64(key);
  h.u64(size - kEntryHeaderSize);
  h.u64(hash_bytes(std::string_view(bytes + kEntryHeaderSize, size - kEntryHeaderSize)));
  h.u64(hash_bytes(h.view()));
  std::memcpy(bytes, h.data(), kEntryHeaderSize);
}

std::string cache_detail::check_entry(std::string_view bytes, const char (&magic)[8], std::uint32_t format,
                                      std::uint64_t key, std::string_view kind, std::string_view another_key) {
  if (bytes.size() < kEntryHeaderSize) return "the entry is shorter than its header";
  Reader head(bytes.data(), bytes.data() + kEntryHeaderSize);
  char m[8];
  head.raw(m, 8);
  std::uint32_t f = head.u32(), header_size = head.u32();
  std::uint64_t k = head.u64(), length = head.u64(), checksum = head.u64(), header_checksum = head.u64();
  if (std::memcmp(m, magic, 8) != 0) return "the file is not " + std::string(kind) + " (wrong magic)";
  if (header_checksum != hash_bytes(bytes.substr(0, 40))) return "the header's checksum does not match";
  if (f != format || header_size != kEntryHeaderSize) return "the entry has another format version";
  if (k != key) return "the entry is for " + std::string(another_key);
  if (length != bytes.size() - kEntryHeaderSize) return "the entry's length does not match its header (cut short or grown)";
  if (checksum != hash_bytes(bytes.substr(kEntryHeaderSize))) return "the payload's checksum does not match";
  return {};
}

std::string rule_cache_file(const std::string& dir, const RuleCacheKey& key) {
  // "rules-" and the key's hash in 16 hex digits.
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t h = key_hash(key);
  std::string name = "rules-0000000000000000.cache";
  for (std::size_t i = 0; i < 16; ++i) name[6 + 15 - i] = kHex[(h >> (4 * i)) & 0xf];
  return dir + "/" + name;
}

bool is_rule_cache_name(std::string_view name, bool temporary, std::string_view prefix) {
  constexpr std::string_view kSuffix = ".cache";
  constexpr std::size_t kEntry = 6 + 16 + 6;  // rules-HHHHHHHHHHHHHHHH.cache
  if (prefix.size() != 6 || name.size() != kEntry + (temporary ? 7 : 0)) return false;
  if (name.substr(0, 6) != prefix || name.substr(22, 6) != kSuffix) return false;
  for (char c : name.substr(6, 16))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  if (!temporary) return true;
  if (name[kEntry] != '.') return false;
  for (char c : name.substr(kEntry + 1))  // mkstemp's six letters or digits
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

std::vector<std::string> prune_rule_cache(const std::string& dir, const std::string& keep, std::int64_t now,
                                          std::int64_t max_age_seconds, std::size_t max_entries,
                                          std::string_view prefix) {
  std::vector<std::string> removed;
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return removed;
  DIR* d = ::fdopendir(dfd);
  if (!d) {
    ::close(dfd);
    return removed;
  }
  struct Closer {
    DIR* d;
    ~Closer() { ::closedir(d); }  // closes dfd too
  } closer{d};
  struct Entry {
    std::string name;
    std::int64_t mtime;
  };
  std::vector<Entry> entries;
  // Each name is checked and removed relative to the folder's descriptor:
  // `unlinkat` removes a name, never what a link points to, so a file
  // replaced by a link after the check loses only the link.
  auto remove = [&](const std::string& name) {
    if (::unlinkat(dfd, name.c_str(), 0) == 0) removed.push_back(name);
  };
  uid_t me = ::geteuid();
  while (const dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    bool entry = is_rule_cache_name(name, false, prefix);
    if (!entry && !is_rule_cache_name(name, true, prefix)) continue;
    struct stat st {};
    if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_uid != me) continue;
    std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec);
    if (name == keep) continue;
    if (!entry) {
      if (now - mtime > kRuleCacheTempAgeSeconds) remove(std::string(name));
    } else if (now - mtime > max_age_seconds) {
      remove(std::string(name));
    } else {
      entries.push_back({std::string(name), mtime});
    }
  }
  // The most recently used first; `keep` is one of the max_entries.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.mtime != b.mtime ? a.mtime > b.mtime : a.name < b.name;
  });
  std::size_t room = max_entries > 0 ? max_entries - 1 : 0;
  for (std::size_t i = room; i < entries.size(); ++i) remove(entries[i].name);
  std::sort(removed.begin(), removed.end());
  return removed;
}

void touch_rule_cache(const std::string& file, std::int64_t now) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) return;
  if (now - static_cast<std::int64_t>(st.st_mtim.tv_sec) <= 24 * 3600) return;
  ::utimensat(AT_FDCWD, file.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
}

void reseal_rule_cache(std::string& bytes) {
  if (bytes.size() < kRuleCacheHeaderSize) return;
  std::uint32_t format;
  std::memcpy(&format, bytes.data() + 8, 4);
  std::uint64_t key;
  std::memcpy(&key, bytes.data() + 16, 8);
  put_header(bytes.data(), bytes.size(), key, format);
}

std::optional<CachedRules> decode_rule_cache(std::string_view bytes, const RuleCacheKey& key, std::string& reason) {
  auto give_up = [&](std::string what) {
    reason = std::move(what);
    return std::nullopt;
  };
  std::string why =
      cache_detail::check_entry(bytes, kMagic, kRuleCacheFormat, key_hash(key), "a cache entry", "another binary or other inputs");
  if (!why.empty()) return give_up(why);

  In in(bytes.data() + kRuleCacheHeaderSize, bytes.data() + bytes.size());
  auto stale = give_up;
  // The manifest: listings, then the knowledge-base files, then the rule files.
  std::size_t nlist = in.count(13);
  for (std::size_t i = 0; i < nlist && in.ok(); ++i) {
    std::uint8_t kind = in.u8();
    std::string dir = in.str();
    std::uint64_t h = in.u64();
    if (!in.ok()) break;
    if (kind > 1) {
      in.fail("a listing's kind is out of range");
      break;
    }
    if (listing_hash(kind == 0 ? kb_listing(dir) : rules_listing(dir)) != h)
      return stale("the files of " + dir + " changed");
  }
  // The knowledge-base folder's files: `.json` ones by a hash of their
  // content, others (which only a template's table could name) by size and
  // modification time.
  std::size_t nkb = in.count(21);
  Bytes file;
  for (std::size_t i = 0; i < nkb && in.ok(); ++i) {
    std::string path = in.str();
    bool json = in.flag();
    std::uint64_t a = in.u64(), b = in.u64();
    if (!in.ok()) break;
    if (json) {
      if (!read_file(path, kMaxManifestFile, file) || hash_bytes(file.view()) != a || file.size != b)
        return stale(path + " changed");
    } else {
      std::uint64_t size = 0, mtime = 0;
      if (!stat_file(path, size, mtime) || size != a || mtime != b) return stale(path + " changed");
    }
  }
  auto sources = std::make_shared<SourceManager>();
  std::size_t nsrc = in.count(13);
  for (std::size_t i = 0; i < nsrc && in.ok(); ++i) {
    std::string name = in.str();
    std::uint64_t h = in.u64();
    bool quotable = in.flag();
    if (!in.ok()) break;
    if (!read_file(name, kMaxSourceBytes, file) || hash_bytes(file.view()) != h) return stale(name + " changed");
    in.source_sizes.push_back(static_cast<std::uint32_t>(file.size));
    sources->add(std::move(name), std::string(file.view()), quotable);
  }

  in.sources = sources.get();
  CachedRules out;
  out.sources = sources;
  std::size_t ndiag = in.count(30);
  for (std::size_t i = 0; i < ndiag && in.ok(); ++i) {
    Diagnostic d{};
    std::uint32_t kind = in.u32();
    if (kind >= all_kinds().size()) {
      in.fail("a diagnostic's kind is out of range");
      break;
    }
    d.kind = static_cast<DiagKind>(kind);
    d.severity = in.kind(Severity::Note);
    get(in, d.loc);
    d.has_loc = in.flag();
    std::string file_name = in.str();
    if (!file_name.empty()) d.file_name() = std::move(file_name);
    d.message = in.str();
    std::size_t nnotes = in.count(14);
    if (nnotes > 0) {
      d.notes().resize(nnotes);
      for (DiagNote& n : d.notes()) {
        get(in, n.loc);
        n.has_loc = in.flag();
        n.message = in.str();
      }
    }
    std::string witness = in.str();
    if (!witness.empty()) d.witness() = std::move(witness);
    out.diags.append_one(std::move(d));
  }

  auto kb = std::make_shared<KnowledgeBase>();
  get_kb(in, *kb);
  if (!in.ok()) return give_up(in.failed);
  RuleCacheCodec::reindex(*kb);
  // The rule set's copy: the same, with the types and enums the checker
  // added; the kb itself when it added none (equal content, no copy).
  std::shared_ptr<KnowledgeBase> rkb = kb;
  std::size_t nenums = in.count(12);
  std::uint32_t next_count = 0;
  if (nenums == 0 && in.end - in.p >= 4) std::memcpy(&next_count, in.p, 4);
  if (nenums > 0 || next_count > 0) rkb = std::make_shared<KnowledgeBase>(*kb);
  for (std::size_t i = 0; i < nenums && in.ok(); ++i) get(in, rkb->enums.emplace_back());
  in.enums = rkb->enums.size();
  in.enum_defs = &rkb->enums;
  std::size_t ntypes = in.count(13);
  get_types(in, rkb->types, rkb->types.size() + ntypes, rkb->types.size());
  in.types = rkb->types.size();
  in.slots = rkb->fields.size() + rkb->conclusions.size();
  if (rkb->category_enum >= 0) in.categories = rkb->enums[static_cast<std::size_t>(rkb->category_enum)].values.size();

  auto rs = std::make_shared<RuleSet>();
  rs->templates.resize(in.count(16));
  for (TemplateDef& t : rs->templates) get(in, t);
  in.templates = rs->templates.size();
  rs->strategy = in.kind(RuleStrategy::Mea);
  rs->rules.resize(in.count(64));
  for (CRule& r : rs->rules) get(in, r);
  rs->readers.resize(in.count(4));
  for (auto& v : rs->readers) {
    v = in.i32s();
    for (std::int32_t r : v)
      if (r < 0 || static_cast<std::size_t>(r) >= rs->rules.size()) in.fail("a reader is out of range");
  }
  rs->definitions.resize(in.count(17));
  for (auto& [name, e] : rs->definitions) {
    name = in.str();
    get(in, e);
  }
  if (in.ok() && in.p != in.end) in.fail("the entry has bytes after its end");
  if (in.ok() && rs->readers.size() != in.slots) in.fail("the readers do not match the slots");
  if (!in.ok()) return give_up(in.failed);
  rs->kb = std::move(rkb);
  rs->sources = sources;
  out.kb = std::move(kb);
  out.rules = std::move(rs);
  return out;
}

std::optional<CachedRules> read_rule_cache(const std::string& dir, const RuleCacheKey& key, std::string& why) {
  std::string file = rule_cache_file(dir, key);
  Bytes bytes;
  if (!read_file(file, kMaxRuleCacheBytes, bytes, true)) {
    why = "no usable entry " + file;
    return std::nullopt;
  }
  return decode_rule_cache(bytes.view(), key, why);
}

bool write_rule_cache(const std::string& dir, const RuleCacheKey& key, const KnowledgeBase& kb, const RuleSet& rules,
                      const SourceManager& sources, const Diagnostics& diags, std::string& why) {
  const KnowledgeBase& rkb = *rules.kb;
  // The rule set's kb must be the kb with types and enums added, nothing else.
  auto same_enum = [](const EnumDef& a, const EnumDef& b) {
    return a.name == b.name && a.values == b.values && a.labels == b.labels;
  };
  bool prefix = rkb.enums.size() >= kb.enums.size() && rkb.types.size() >= kb.types.size() &&
                rkb.fields.size() == kb.fields.size() && rkb.conclusions.size() == kb.conclusions.size() &&
                rkb.specialties.size() == kb.specialties.size() && rkb.figures.size() == kb.figures.size() &&
                rkb.groups.size() == kb.groups.size() && rkb.standards.size() == kb.standards.size() &&
                rkb.aliases.size() == kb.aliases.size() && rkb.directory == kb.directory;
  for (std::size_t i = 0; prefix && i < kb.enums.size(); ++i) prefix = same_enum(kb.enums[i], rkb.enums[i]);
  for (std::size_t i = 0; prefix && i < kb.types.size(); ++i)
    prefix = kb.types.at(static_cast<TypeId>(i)) == rkb.types.at(static_cast<TypeId>(i));
  if (!prefix) {
    why = "the rule set's knowledge base is not the one given with additions";
    return false;
  }
  if (rules.sources.get() != &sources) {
    why = "the rule set's sources are not those given";
    return false;
  }

  Out o;
  o.room(kRuleCacheHeaderSize);  // put_header writes it
  // The manifest.
  std::vector<std::pair<std::uint8_t, std::string>> listings;
  listings.emplace_back(0, key.kb_dir);
  for (const std::string& p : key.paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) listings.emplace_back(1, p);
  }
  o.count(listings.size());
  for (const auto& [kind, d] : listings) {
    o.u8(kind);
    o.str(d);
    o.u64(listing_hash(kind == 0 ? kb_listing(d) : rules_listing(d)));
  }
  std::vector<KbFile> files = kb_files(key.kb_dir);
  o.count(files.size());
  Bytes content;
  for (const KbFile& f : files) {
    std::string path = key.kb_dir + "/" + f.name;
    o.str(path);
    o.flag(f.json);
    if (f.json) {
      if (!read_file(path, kMaxManifestFile, content)) {
        why = "cannot read " + path;
        return false;
      }
      o.u64(hash_bytes(content.view()));
      o.u64(content.size);
    } else {
      std::uint64_t size = 0, mtime = 0;
      if (!stat_file(path, size, mtime)) {
        why = "cannot read " + path;
        return false;
      }
      o.u64(size);
      o.u64(mtime);
    }
  }
  o.count(sources.size());
  for (std::uint32_t i = 0; i < sources.size(); ++i) {
    // The entry reads the file again by the name the loader gave it: it must
    // find what the loader read.
    if (!read_file(sources.name(i), kMaxSourceBytes, content) || content.view() != sources.text(i)) {
      why = "rule file " + sources.name(i) + " cannot be read again by its name";
      return false;
    }
    o.str(sources.name(i));
    o.u64(hash_bytes(content.view()));
    o.flag(sources.quotable(i));
  }
  // The warnings (errors make no rule set).
  o.count(diags.all().size());
  for (const Diagnostic& d : diags.all()) {
    o.u32(static_cast<std::uint32_t>(d.kind));
    o.u8(static_cast<std::uint8_t>(d.severity));
    put(o, d.loc);
    o.flag(d.has_loc);
    o.str(d.file_name());
    o.str(message_text(sources, d));
    o.count(d.notes().size());
    for (const DiagNote& n : d.notes()) {
      put(o, n.loc);
      o.flag(n.has_loc);
      o.str(n.message);
    }
    o.str(d.witness());
  }
  put_kb(o, kb);
  o.count(rkb.enums.size() - kb.enums.size());
  for (std::size_t i = kb.enums.size(); i < rkb.enums.size(); ++i) put(o, rkb.enums[i]);
  o.count(rkb.types.size() - kb.types.size());
  for (std::size_t i = kb.types.size(); i < rkb.types.size(); ++i) put(o, rkb.types.at(static_cast<TypeId>(i)));
  o.count(rules.templates.size());
  for (const TemplateDef& t : rules.templates) put(o, t);
  o.u8(static_cast<std::uint8_t>(rules.strategy));
  o.index_texts(sources);
  o.count(rules.rules.size());
  for (const CRule& r : rules.rules) put(o, r);
  o.count(rules.readers.size());
  for (const auto& v : rules.readers) o.i32s(v);
  o.count(rules.definitions.size());
  for (const auto& [name, e] : rules.definitions) {
    o.str(name);
    put(o, e);
  }
  if (o.too_deep) {
    why = "the rules nest too deep for the cache";
    return false;
  }
  put_header(o.data(), o.size(), key_hash(key));

  return write_cache_entry(dir, rule_cache_file(dir, key), o.view(), why);
}

std::uint64_t cache_hash(std::string_view bytes, std::uint64_t seed) { return hash_bytes(bytes, seed); }

bool read_cache_entry(const std::string& path, std::size_t limit, std::unique_ptr<char[]>& data, std::size_t& size,
                      bool own_only) {
  Bytes b;
  if (!read_file(path, limit, b, own_only)) return false;
  data = std::move(b.data);
  size = b.size;
  return true;
}

bool write_cache_entry(const std::string& dir, const std::string& file, std::string_view bytes, std::string& why) {
  // Atomically: a temporary file of the folder, renamed over the entry.
  std::error_code ec;
  fs::path parent = fs::path(dir).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  ::mkdir(dir.c_str(), 0700);  // only the user reads their cache
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    why = "cannot make the cache folder " + dir;
    return false;
  }
  std::string tmp = file + ".XXXXXX";
  int fd = ::mkstemp(tmp.data());  // mode 0600
  if (fd < 0) {
    why = "cannot write in " + dir + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  bool ok = true;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) ok = false;
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    why = "cannot write " + file + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

std::string template_set_bytes(const std::vector<TemplateDef>& templates) {
  Out o;
  o.count(templates.size());
  for (const TemplateDef& t : templates) put(o, t);
  return std::string(o.view());
}

std::string kb_types_bytes(const KnowledgeBase& kb) {
  Out o;
  o.count(kb.enums.size());
  for (const EnumDef& e : kb.enums) put(o, e);
  o.count(kb.types.size());
  for (std::size_t i = 0; i < kb.types.size(); ++i) put(o, kb.types.at(static_cast<TypeId>(i)));
  return std::string(o.view());
}

}  // namespace advise
