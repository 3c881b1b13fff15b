// The envelope of both caches' entries (the start-up cache's,
// dsl/rule_cache.cpp, and the catalog cache's, dsl/fact_cache.cpp): a
// 48-byte header, then the payload. The header holds the magic (8 bytes),
// the format (u32), the header's size (u32), the key (u64), the payload's
// size (u64), the payload's hash (u64) and the hash of the 40 bytes before
// it (u64), both with the caches' seed (the hash is dsl/rule_cache.cpp's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace advise::cache_detail {

inline constexpr std::size_t kEntryHeaderSize = 48;

// Writes the header over the first kEntryHeaderSize of an entry's `size`
// bytes.
void seal_entry(char* bytes, std::size_t size, const char (&magic)[8], std::uint32_t format, std::uint64_t key);

// Why the entry cannot be read, the first of: too short, another magic,
// a damaged header, another format, another key, another length, a
// damaged payload; empty when it can. `kind` names the entry in the
// wrong-magic reason ("a cache entry"), `another_key` says what another key
// means ("another binary or other inputs").
std::string check_entry(std::string_view bytes, const char (&magic)[8], std::uint32_t format, std::uint64_t key,
                        std::string_view kind, std::string_view another_key);

}  // namespace advise::cache_detail
