// The catalog cache (docs/engine.md, "Start-up"; docs/cli.md): the records
// a facts file (a catalog) gave once read and checked against its templates,
// and every message (warning) the read gave, kept in a binary file of the
// start-up cache's folder, so that a command reads them back instead of
// parsing and checking the same text again (as CLIPS's bload reads what
// bsave wrote).
//
// The file is still read at every use: an entry is used only for the same
// bytes, compared by a hash of the whole text (never by its time), read
// against the same templates and knowledge-base enums and types (their
// whole description is hashed), by the same binary, under the same path (as
// given, which the records and messages name). A read with an error (the
// file refused, nothing evaluated) makes no entry.
//
// An entry is used only when every check holds: the header's magic, format
// version, key, payload length and the checksums of the header and of the
// payload; then every count, kind and index of the payload is in range as
// it is read. Anything else (no entry, a short or corrupt file, another
// text, templates, kb or binary) makes the caller read the file as without a
// cache, and write the entry again.
//
// Library code: nothing is printed; what happened comes back for the debug log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kb/facts.hpp"

namespace advise {

inline constexpr std::uint32_t kFactCacheFormat = 1;
inline constexpr std::size_t kFactCacheHeaderSize = 48;
// An entry larger than this is not read (a 10,000-program catalog makes 3.8 MB).
inline constexpr std::size_t kMaxFactCacheBytes = 1024u * 1024u * 1024u;
// A read of at least this many records is decoded in two halves at once
// (kb/parallel.hpp).
inline constexpr std::size_t kFactCacheHalvesFrom = 2000;

// What an entry is for: the binary, the file as named and the folder a
// relative name is read from, the CSV's template, a hash of the templates
// and the kb's enums and types (fact_schema_hash), and the text's hash and
// length.
struct FactCacheKey {
  std::string binary_id;
  std::string path;
  std::string cwd;  // when `path` is relative, else empty
  std::string template_name;
  std::uint64_t schema = 0;
  std::uint64_t text_hash = 0;
  std::uint64_t text_size = 0;
};

// The hash of what checking a record depends on besides its text: every
// template (fields, types, enums, ranges, defaults, checks, derivations)
// and the kb's enums and types.
std::uint64_t fact_schema_hash(const KnowledgeBase& kb, const TemplateSet& templates);
// The hash of a file's text, as the key holds it.
std::uint64_t fact_text_hash(std::string_view text);

// The entry's file in `dir`: `facts-` and a hash of the binary, the path,
// the folder and the template (not the text: a changed file replaces its
// entry) in 16 hex digits, `.cache`.
std::string fact_cache_file(const std::string& dir, const FactCacheKey& key);

// What read_facts_file_cached did, for the debug log.
struct FactCacheNote {
  enum class Outcome : std::uint8_t { Off, Hit, Written, NotWritten } outcome = Outcome::Off;
  std::string file;  // the entry
  std::string why;   // why an entry was not used, or not written
};

// read_facts_file (kb/facts.hpp), with the catalog cache of folder `dir`
// ("" for none) for the binary `binary_id`: the same records appended to
// `out`, the same messages to `errors`, the same result. A folder that
// cannot be written is skipped (the read is the same).
bool read_facts_file_cached(const std::string& dir, const std::string& binary_id, const std::string& path,
                            const std::string& template_name, const KnowledgeBase& kb, const TemplateSet& templates,
                            std::vector<FactRecord>& out, std::vector<DataError>& errors, FactCacheNote& note);

// The entry's bytes for `records` and `messages`.
std::string encode_fact_cache(const FactCacheKey& key, const std::vector<FactRecord>& records, std::size_t first,
                              const std::vector<DataError>& messages, std::size_t first_message);
// Decodes an entry made for `key` (all checks made), appending to `out` and
// `messages`; false, with `why` set and nothing appended, when a check fails.
bool decode_fact_cache(std::string_view bytes, const FactCacheKey& key, const KnowledgeBase& kb,
                       const TemplateSet& templates, std::vector<FactRecord>& out, std::vector<DataError>& messages,
                       std::string& why);
// For tests: recomputes the checksums of an entry's bytes after they were
// changed, so that a test can reach the checks made after the checksum.
void reseal_fact_cache(std::string& bytes);

}  // namespace advise
