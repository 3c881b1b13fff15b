// The start-up cache (docs/engine.md, "Start-up"): the checked rule set and
// the knowledge base it was checked against, kept in a binary file in the
// user's cache folder so that a command does not parse and check the same
// rules and JSON at every start.
//
// An entry is found by a key made of the binary's identity, the cache format
// version, the knowledge-base folder and the rule paths as given (and the
// current folder when a path is relative). It is used only when every check
// holds: the header's magic, format version, key, payload length and the
// checksums of the header and of the payload; then every file it was made
// from (each rule file and include read, every regular file of the
// knowledge-base folder, the list of `.rules` files of each rule folder) has
// the same content as then, compared by a hash of its content; then every
// count, kind and index of the payload is in range as it is read. Anything
// else (no entry, a short or corrupt file, an edited rule or kb file, a new
// binary) makes the caller load and check the rules as without a cache.
//
// Library code: nothing is printed; failures come back as a reason for the
// debug log.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/diagnostics.hpp"
#include "dsl/ruleset.hpp"
#include "dsl/source.hpp"
#include "kb/knowledge_base.hpp"

namespace advise {

// Bumped whenever the payload's layout changes (the binary's identity
// changes with every build anyway).
inline constexpr std::uint32_t kRuleCacheFormat = 6;  // 2: templates' checks across fields; 3: the kb's specialty template; 4: the compact compiled form; 5: both; 6: texts' literal runs as places in the rule files, after a space or not
inline constexpr std::size_t kRuleCacheHeaderSize = 48;
// An entry larger than this is not read (the bundled rules make ~1 MiB).
inline constexpr std::size_t kMaxRuleCacheBytes = 256u * 1024u * 1024u;

// What an entry is looked up by.
struct RuleCacheKey {
  std::string binary_id;  // the build id of the executable (or its size and time)
  std::string kb_dir;     // as given to load_knowledge_base
  std::vector<std::string> paths;  // as given to load_rule_set
  std::string cwd;        // the current folder when a path is relative, else empty
};

// The result of load_knowledge_base + load_rule_set, as app/common.hpp keeps it.
struct CachedRules {
  std::shared_ptr<const KnowledgeBase> kb;
  std::shared_ptr<SourceManager> sources;
  std::shared_ptr<const RuleSet> rules;
  Diagnostics diags;  // the checker's warnings
};

// The file of the entry for `key` in folder `dir`.
std::string rule_cache_file(const std::string& dir, const RuleCacheKey& key);

// Reads and validates the entry for `key` in `dir`. Nothing (with `why` set)
// when there is none or any check fails.
std::optional<CachedRules> read_rule_cache(const std::string& dir, const RuleCacheKey& key, std::string& why);

// Writes the entry for `key` in `dir` (made with mode 0700 when missing):
// to a temporary file of that folder (mode 0600) then renamed over the
// entry, so that a reader sees the old entry or the new one, never a part.
// False with `why` set when it was not written (a rule set the cache cannot
// hold, a folder that cannot be written).
bool write_rule_cache(const std::string& dir, const RuleCacheKey& key, const KnowledgeBase& kb, const RuleSet& rules,
                      const SourceManager& sources, const Diagnostics& diags, std::string& why);

// Cleaning the cache folder. Entries of other binaries, kb folders, rule
// paths or current folders are never read again once those change; they are
// removed when an entry is written (app/common.cpp), so that the folder stays
// bounded. Only this program's own files are touched: names exactly
// `rules-` + 16 lowercase hex digits + `.cache` (an entry; every version of
// advise names them so, and may share the folder) or that name + `.` + six
// letters or digits (the temporary file of a write that never finished),
// regular files (not symbolic links, folders or anything else, checked
// without following a link) owned by this user. Anything else is left alone.
inline constexpr std::int64_t kRuleCacheMaxAgeSeconds = 30 * 24 * 3600;  // unused for 30 days
inline constexpr std::size_t kRuleCacheMaxEntries = 64;                  // beyond: the least recently used go
inline constexpr std::int64_t kRuleCacheTempAgeSeconds = 24 * 3600;      // a write's temporary, a day old

// Removes from `dir`: the entries (as above) last written or used more than
// `max_age_seconds` before `now` (seconds since the epoch), then, past
// `max_entries` entries, the least recently used; temporaries older than
// kRuleCacheTempAgeSeconds. Never the entry named `keep` (a file name, no
// folder: the one just written), which counts as one of `max_entries`.
// Returns the names removed, sorted. Errors (a folder that cannot be read, a
// file that vanished meanwhile) remove nothing more and are not reported.
std::vector<std::string> prune_rule_cache(const std::string& dir, const std::string& keep, std::int64_t now,
                                          std::int64_t max_age_seconds = kRuleCacheMaxAgeSeconds,
                                          std::size_t max_entries = kRuleCacheMaxEntries,
                                          std::string_view prefix = "rules-");

// Marks the entry `file` (rule_cache_file) as used at `now`: its
// modification time is set to now when it is more than a day older, so that
// prune_rule_cache measures age from the last use, at most one write a day.
// A file that is not a regular file of this user is left alone.
void touch_rule_cache(const std::string& file, std::int64_t now);

// Whether `name` (no folder) is an entry's (`temporary` false) or a write's
// temporary file's (`temporary` true) name, as above. `prefix` (six
// characters) is `rules-`, or `facts-` for the catalog cache's entries
// (dsl/fact_cache.hpp), which prune_rule_cache cleans the same way, apart.
bool is_rule_cache_name(std::string_view name, bool temporary, std::string_view prefix = "rules-");

// Shared with the catalog cache (dsl/fact_cache.cpp):
// the entries' 64-bit hash of bytes (not cryptographic: docs/engine.md),
std::uint64_t cache_hash(std::string_view bytes, std::uint64_t seed);
// a whole regular file of at most `limit` bytes read (`own_only`: not through
// a link, this user's, writable by no one else),
bool read_cache_entry(const std::string& path, std::size_t limit, std::unique_ptr<char[]>& data, std::size_t& size,
                      bool own_only);
// `bytes` written atomically as `file` of folder `dir` (made with mode 0700
// when missing): a temporary file (mode 0600) renamed over it;
bool write_cache_entry(const std::string& dir, const std::string& file, std::string_view bytes, std::string& why);
// the templates, and the kb's enums and types, as the entries hold them.
std::string template_set_bytes(const std::vector<TemplateDef>& templates);
std::string kb_types_bytes(const KnowledgeBase& kb);

// For tests: recomputes the checksums of an entry's bytes after they were
// changed, so that a test can reach the checks made after the checksum.
void reseal_rule_cache(std::string& bytes);
// For tests: decodes an entry's bytes (all checks made) for `key`.
std::optional<CachedRules> decode_rule_cache(std::string_view bytes, const RuleCacheKey& key, std::string& why);

}  // namespace advise
