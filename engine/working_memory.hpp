// Provenance queries over a finished evaluation (docs/engine.md, "Working
// memory and evidence"): which firing introduced a fact, a map entry or a list
// item, and the state of working memory when firing k fired. explain, diff
// and the regression cases ask these questions here instead of walking
// Result::facts themselves.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/engine.hpp"

namespace advise {

class WorkingMemory {
 public:
  explicit WorkingMemory(const Result& r) : r_(r) {}

  // The version of `slot` that gave it its current value (index into
  // Result::facts), -1 when it is missing.
  std::int32_t current_version(std::int32_t slot) const;
  // Of a map conclusion: the version that last changed the entry of `key`
  // (-1 when the entry is missing at the end).
  std::int32_t version_of_key(std::int32_t slot, const Value& key) const;
  // The version responsible for the slot's value, or with `key` for the
  // entry of that key (of a map).
  std::int32_t version_of(std::int32_t slot, const Value* key) const {
    return key ? version_of_key(slot, *key) : current_version(slot);
  }
  // Of a list conclusion: the version at which `item` last joined the list
  // (-1 when it is not in the final list).
  std::int32_t version_of_item(std::int32_t slot, const Value& item) const;

  // The versions of the same slot before version `v`, oldest first (the
  // earlier values of a list or map that rules added to).
  std::vector<std::int32_t> earlier_versions(std::int32_t version) const;

  // The firing that made version `v` (index into Result::firings); -1 when
  // the version was given (the profile) or `v` is -1.
  std::int32_t firing_of(std::int32_t version) const;
  // Shorthands: the firing that introduced the current value, the entry of
  // `key`, the list item.
  std::int32_t introduced_by(std::int32_t slot) const { return firing_of(current_version(slot)); }
  std::int32_t key_introduced_by(std::int32_t slot, const Value& key) const {
    return firing_of(version_of_key(slot, key));
  }
  std::int32_t item_introduced_by(std::int32_t slot, const Value& item) const {
    return firing_of(version_of_item(slot, item));
  }

  // The state at firing k: the version of `slot` when firing `k` fired (-1
  // when missing then), and a view of every slot's value at that moment.
  std::int32_t version_at(std::int32_t slot, std::int32_t firing) const;
  SnapshotView at(std::int32_t firing) const { return SnapshotView(r_, r_.firings[static_cast<std::size_t>(firing)]); }

  // Facts by FactId (engine/agenda.hpp): a slot is a record of the built-in
  // template, a fact of a template a record of Result::records.
  //
  // The facts firing `k` matched, as its activation held them: the slots its
  // condition read (CRule::reads order) with the versions it read, then, for
  // a rule over facts, the record at each level it bound, with its time tag.
  std::vector<FactRef> matched(std::int32_t firing) const;
  // The firing that made the fact as it is at the end (a slot: its current
  // value; a record: the firing that created it); -1 when it was given (the
  // profile, a facts file) or a slot is missing.
  std::int32_t made_by(FactId id) const;
  // Whether the fact holds at the end: a slot has a value; a record was not
  // removed or changed.
  bool holds(FactId id) const;

  const Result& result() const { return r_; }

 private:
  const Result& r_;
};

}  // namespace advise
