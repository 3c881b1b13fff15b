// The catalog cache: see fact_cache.hpp and docs/engine.md, "Start-up".
//
// Layout of an entry (native byte order, as the rule cache's):
//   0  magic "ADVFACTS"            8 bytes
//   8  format version              u32 (kFactCacheFormat)
//  12  header size                 u32 (kFactCacheHeaderSize)
//  16  key                         u64 (hash of FactCacheKey and the format)
//  24  payload length              u64
//  32  payload checksum            u64
//  40  header checksum             u64 (of bytes 0..40)
//  48  payload:
//      the messages: count, then each: file, path, line, column, message,
//        suggestion (a flag, then the text), kind, warning;
//      the records' count, the first half's count, the second block's
//        offset from the first's;
//      two blocks, one a half of the records (decoded at once, each on a
//        thread, from kFactCacheHalvesFrom records), each: the texts its
//        values use (count, then each, once), then its records, each:
//        template, line, column, where, the count of values, then each
//        value: its kind, then Bool a flag, Number a double, Symbol enum
//        and symbol, Text the index of its text in the block, Range two
//        doubles, List and Map a count and the items.
#include "dsl/fact_cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "dsl/cache_entry.hpp"
#include "dsl/cache_reader.hpp"
#include "dsl/cache_writer.hpp"
#include "dsl/rule_cache.hpp"
#include "kb/parallel.hpp"

namespace advise {

namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'A', 'D', 'V', 'F', 'A', 'C', 'T', 'S'};
constexpr std::uint64_t kSeed = 0x5bd1e995a3c1f2d9ULL;
// Values nest at most this deep in an entry (a JSON list of lists).
constexpr int kMaxDepth = 256;

// Writes the payload (dsl/cache_writer.hpp), refusing a count that does not
// fit in 32 bits.
struct Out : cache_detail::Writer {
  // Hides the Writer's: a count past 32 bits makes no entry.
  void count(std::size_t n) {
    if (n > 0xffffffffu) too_large = true;
    Writer::count(n);
  }
  bool too_large = false;  // a count that does not fit in 32 bits, or values nested too deep: no entry
};

// Reads the payload (dsl/cache_reader.hpp).
using In = cache_detail::Reader;

// The distinct texts of a block, by content, in their first use's order.
struct TextIndex {
  std::unordered_map<std::string_view, std::uint32_t> index;
  std::vector<std::string_view> texts;
  std::uint32_t of(std::string_view t) {
    auto it = index.find(t);  // looked up first: emplace would make a node for every text
    if (it != index.end()) return it->second;
    auto i = static_cast<std::uint32_t>(texts.size());
    index.emplace(t, i);
    texts.push_back(t);
    return i;
  }
};

void put(Out& o, const Value& v, TextIndex& texts, int depth = 0) {
  if (depth > kMaxDepth) o.too_large = true;
  o.u8(static_cast<std::uint8_t>(v.kind));
  switch (v.kind) {
    case Value::Kind::Missing: break;
    case Value::Kind::Bool: o.flag(v.flag); break;
    case Value::Kind::Number: o.f64(v.num); break;
    case Value::Kind::Symbol:
      o.i32(v.enum_id);
      o.i32(v.sym);
      break;
    case Value::Kind::Text:
      if (!v.text) o.too_large = true;  // a text value without a text: no entry
      o.u32(v.text ? texts.of(*v.text) : 0);
      break;
    case Value::Kind::Range:
      o.f64(v.num);
      o.f64(v.hi);
      break;
    case Value::Kind::List:
    case Value::Kind::Map: {
      const ValueList& items = v.list_items();
      o.u32(static_cast<std::uint32_t>(items.size()));
      for (const Value& x : items) put(o, x, texts, depth + 1);
      break;
    }
  }
}

static_assert(kFactCacheHeaderSize == cache_detail::kEntryHeaderSize);

void put_header(std::string& bytes, std::uint64_t key, std::uint32_t format = kFactCacheFormat,
                const char (&magic)[8] = kMagic) {
  cache_detail::seal_entry(bytes.data(), bytes.size(), magic, format, key);
}

// What names an entry's file: the format, the executable, the file as given
// and the template read; the entry's key adds the schema and the text.
void put_identity(Out& o, const FactCacheKey& k) {
  o.u32(kFactCacheFormat);
  o.str(k.binary_id);
  o.str(k.path);
  o.str(k.cwd);
  o.str(k.template_name);
}

std::uint64_t key_hash(const FactCacheKey& k) {
  Out o;
  put_identity(o, k);
  o.u64(k.schema);
  o.u64(k.text_hash);
  o.u64(k.text_size);
  return cache_hash(o.view(), 0x2545f4914f6cdd1dULL);
}

// What the decoder checks values against.
struct Context {
  const KnowledgeBase* kb;
  const TemplateSet* templates;
  const std::vector<std::string>* texts;
  std::shared_ptr<const void> owner;  // this half's owner of `texts`
};

void get(In& in, const Context& c, Value& v, int depth = 0) {
  if (depth > kMaxDepth) return in.fail("a value nests too deep");
  std::uint8_t kind = in.u8();
  switch (static_cast<Value::Kind>(kind)) {
    case Value::Kind::Missing: break;
    case Value::Kind::Bool:
      v.kind = Value::Kind::Bool;
      v.flag = in.flag();
      break;
    case Value::Kind::Number:
      v.kind = Value::Kind::Number;
      v.num = in.f64();
      break;
    case Value::Kind::Symbol: {
      std::int32_t e = in.i32(), s = in.i32();
      if (e < 0 || static_cast<std::size_t>(e) >= c.kb->enums.size() || s < 0 ||
          static_cast<std::size_t>(s) >= c.kb->enums[static_cast<std::size_t>(e)].values.size())
        return in.fail("a symbol is out of range");
      v.kind = Value::Kind::Symbol;
      v.enum_id = e;
      v.sym = s;
      break;
    }
    case Value::Kind::Text: {
      std::uint32_t t = in.u32();
      if (t >= c.texts->size()) return in.fail("a text is out of range");
      v.kind = Value::Kind::Text;
      v.text = std::shared_ptr<const std::string>(c.owner, &(*c.texts)[t]);
      break;
    }
    case Value::Kind::Range:
      v.kind = Value::Kind::Range;
      v.num = in.f64();
      v.hi = in.f64();
      break;
    case Value::Kind::List:
    case Value::Kind::Map: {
      ValueList items(in.count());
      for (Value& x : items) get(in, c, x, depth + 1);
      if (static_cast<Value::Kind>(kind) == Value::Kind::Map && items.size() % 2 != 0)
        return in.fail("a map has an odd number of items");
      v = static_cast<Value::Kind>(kind) == Value::Kind::List ? Value::list(std::move(items))
                                                              : Value::map(std::move(items));
      break;
    }
    default: return in.fail("a value's kind is out of range");
  }
}

// Decodes records [from, to) into out[from, to).
void get_records(In& in, const Context& c, const std::shared_ptr<const std::string>& file, FactRecord* out,
                 std::size_t n) {
  const auto& templates = c.templates->templates;
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    FactRecord& r = out[i];
    std::int32_t t = in.i32();
    if (t < 0 || static_cast<std::size_t>(t) >= templates.size()) return in.fail("a record's template is out of range");
    r.tmpl = t;
    r.origin.file = file;
    r.origin.line = in.u32();
    r.origin.column = in.u32();
    r.origin.where = in.view();
    std::size_t nv = in.count();
    if (nv != templates[static_cast<std::size_t>(t)].fields.size())
      return in.fail("a record's values do not match its template");
    r.values.resize(nv);
    for (Value& v : r.values) get(in, c, v);
  }
}

}  // namespace

std::uint64_t fact_schema_hash(const KnowledgeBase& kb, const TemplateSet& templates) {
  std::string bytes = kb_types_bytes(kb);
  bytes += template_set_bytes(templates.templates);
  return cache_hash(bytes, kSeed);
}

std::uint64_t fact_text_hash(std::string_view text) { return cache_hash(text, kSeed); }

std::string fact_cache_file(const std::string& dir, const FactCacheKey& key) {
  Out o;
  put_identity(o, key);
  std::uint64_t h = cache_hash(o.view(), 0x9e3779b97f4a7c15ULL);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "facts-0000000000000000.cache";
  for (std::size_t i = 0; i < 16; ++i) name[6 + 15 - i] = kHex[(h >> (4 * i)) & 0xf];
  return dir + "/" + name;
}

std::string encode_fact_cache(const FactCacheKey& key, const std::vector<FactRecord>& records, std::size_t first,
                              const std::vector<DataError>& messages, std::size_t first_message) {
  Out o;
  o.room(kFactCacheHeaderSize);
  o.count(messages.size() - first_message);
  for (std::size_t i = first_message; i < messages.size(); ++i) {
    const DataError& e = messages[i];
    o.str(e.file);
    o.str(e.path);
    o.u32(e.line);
    o.u32(e.column);
    o.str(e.message);
    o.flag(e.suggestion.has_value());
    if (e.suggestion) o.str(*e.suggestion);
    o.u8(static_cast<std::uint8_t>(e.kind));
    o.flag(e.warning);
  }
  // Two blocks, the records' halves, each with the texts its values use,
  // each once, so that each half is decoded on its own (and, for a large
  // read, encoded at once, each on a thread).
  std::size_t n = records.size() - first;
  std::size_t half = n / 2;
  o.count(n);
  o.count(half);
  auto block = [&](std::size_t from, std::size_t to, Out& out) {
    TextIndex texts;
    texts.index.reserve((to - from) * 4);
    Out body;
    body.reserve((to - from) * 256);
    for (std::size_t i = from; i < to; ++i) {
      const FactRecord& r = records[i];
      body.i32(r.tmpl);
      body.u32(r.origin.line);
      body.u32(r.origin.column);
      body.str(r.origin.where);
      body.count(r.values.size());
      for (const Value& v : r.values) put(body, v, texts);
    }
    out.count(texts.texts.size());
    for (std::string_view t : texts.texts) out.str(t);
    out.raw(body.data(), body.size());
    out.too_large = out.too_large || body.too_large;
  };
  Out one, two;
  if (n >= kFactCacheHalvesFrom)
    run_both([&] { block(first, first + half, one); }, [&] { block(first + half, records.size(), two); });
  else {
    block(first, first + half, one);
    block(first + half, records.size(), two);
  }
  o.u64(one.size());  // the second block's offset from the first's
  if (o.too_large || one.too_large || two.too_large) return {};
  std::string bytes;
  bytes.reserve(o.size() + one.size() + two.size());
  bytes.append(o.view());
  bytes.append(one.view());
  bytes.append(two.view());
  put_header(bytes, key_hash(key));
  return bytes;
}

void reseal_fact_cache(std::string& bytes) {
  if (bytes.size() < kFactCacheHeaderSize) return;
  std::uint32_t format;
  std::memcpy(&format, bytes.data() + 8, 4);
  std::uint64_t key;
  std::memcpy(&key, bytes.data() + 16, 8);
  char magic[8];
  std::memcpy(magic, bytes.data(), 8);
  put_header(bytes, key, format, magic);  // the magic kept: a test may have changed it
}

bool decode_fact_cache(std::string_view bytes, const FactCacheKey& key, const KnowledgeBase& kb,
                       const TemplateSet& templates, std::vector<FactRecord>& out, std::vector<DataError>& messages,
                       std::string& why) {
  why = cache_detail::check_entry(bytes, kMagic, kFactCacheFormat, key_hash(key), "a catalog cache entry",
                                  "another text, templates, binary or path");
  if (!why.empty()) return false;

  In in{bytes.data() + kFactCacheHeaderSize, bytes.data() + bytes.size()};
  std::vector<DataError> msgs(in.count(28));
  for (DataError& e : msgs) {
    e.file = in.str();
    e.path = in.str();
    e.line = in.u32();
    e.column = in.u32();
    e.message = in.str();
    if (in.flag()) e.suggestion = in.str();
    std::uint8_t kind = in.u8();
    if (kind > static_cast<std::uint8_t>(DataError::Kind::OutOfRange)) in.fail("a message's kind is out of range");
    e.kind = static_cast<DataError::Kind>(kind);
    e.warning = in.flag();
  }
  std::size_t n = in.count(17);
  std::size_t half = in.u32();
  std::uint64_t second_at = in.u64();
  if (!in.ok()) {
    why = in.failed;
    return false;
  }
  if (half > n || second_at > static_cast<std::uint64_t>(in.end - in.p)) {
    why = "the second half's start is out of range";
    return false;
  }
  In second{in.p + second_at, in.end};
  in.end = in.p + second_at;
  std::size_t old = out.size();
  out.resize(old + n);
  FactRecord* first = out.data() + old;
  // Each half: its texts, in one store its values share (an aliasing
  // shared_ptr each: no allocation per value), then its records.
  auto decode = [&](In& part, FactRecord* at, std::size_t count) {
    std::size_t ntexts = part.count(4);
    auto store = std::make_shared<std::vector<std::string>>(ntexts);
    for (std::string& t : *store) t = part.view();
    Context c{&kb, &templates, store.get(), store};
    get_records(part, c, std::make_shared<const std::string>(key.path), at, count);
    if (part.ok() && part.p != part.end) part.fail("a half has bytes after its end");
  };
  if (n >= kFactCacheHalvesFrom) {
    run_both([&] { decode(in, first, half); }, [&] { decode(second, first + half, n - half); });
  } else {
    decode(in, first, half);
    decode(second, first + half, n - half);
  }
  const char* failed = in.failed ? in.failed : second.failed;
  if (failed) {
    out.resize(old);
    why = failed;
    return false;
  }
  messages.insert(messages.end(), std::make_move_iterator(msgs.begin()), std::make_move_iterator(msgs.end()));
  return true;
}

bool read_facts_file_cached(const std::string& dir, const std::string& binary_id, const std::string& path,
                            const std::string& template_name, const KnowledgeBase& kb, const TemplateSet& templates,
                            std::vector<FactRecord>& out, std::vector<DataError>& errors, FactCacheNote& note) {
  note = {};
  if (dir.empty() || binary_id.empty()) return read_facts_file(path, template_name, kb, templates, out, errors);
  // The text, read at every use; a file that cannot be read so is read as
  // without a cache, which says why.
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  if (!read_cache_entry(path, kMaxFactsBytes, data, size, false)) {
    note.outcome = FactCacheNote::Outcome::NotWritten;
    note.why = "cannot read " + path + " whole";
    return read_facts_file(path, template_name, kb, templates, out, errors);
  }
  std::string_view text(data.get(), size);
  FactCacheKey key;
  key.binary_id = binary_id;
  key.path = path;
  if (path.empty() || path[0] != '/') {
    std::error_code ec;
    key.cwd = fs::current_path(ec).string();
  }
  key.template_name = template_name;
  key.schema = fact_schema_hash(kb, templates);
  key.text_hash = fact_text_hash(text);
  key.text_size = size;
  note.file = fact_cache_file(dir, key);
  std::unique_ptr<char[]> entry;
  std::size_t entry_size = 0;
  if (read_cache_entry(note.file, kMaxFactCacheBytes, entry, entry_size, true)) {
    if (decode_fact_cache(std::string_view(entry.get(), entry_size), key, kb, templates, out, errors, note.why)) {
      note.outcome = FactCacheNote::Outcome::Hit;
      return true;
    }
  } else {
    note.why = "no usable entry";
  }
  std::size_t first = out.size(), first_message = errors.size();
  bool ok = read_facts_text(std::string(text), path, template_name, kb, templates, out, errors);
  data.reset();
  if (!ok) {  // refused: the user mends the file, and the next read makes the entry
    note.outcome = FactCacheNote::Outcome::NotWritten;
    note.why += "; not written: the file has errors";
    return false;
  }
  std::string bytes = encode_fact_cache(key, out, first, errors, first_message);
  std::string why;
  if (bytes.empty()) {
    note.outcome = FactCacheNote::Outcome::NotWritten;
    note.why += "; not written: the records are too large for an entry";
  } else if (!write_cache_entry(dir, note.file, bytes, why)) {
    note.outcome = FactCacheNote::Outcome::NotWritten;
    note.why += "; not written: " + why;
  } else {
    note.outcome = FactCacheNote::Outcome::Written;
  }
  return true;
}

}  // namespace advise
