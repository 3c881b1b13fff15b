// libFuzzer harness: the profile loader (kb/profile.hpp) against the real
// knowledge base. A finding is a crash, a sanitizer report, a hang, or an
// exception escaping (load_profile and parse_profile_json promise never to
// throw).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kb/knowledge_base.hpp"
#include "kb/profile.hpp"

namespace {

const advise::KnowledgeBase& knowledge_base() {
  static const advise::KnowledgeBase kb = [] {
    const char* dir = std::getenv("ADVISE_KB_DIR");
    std::vector<advise::DataError> errors;
    auto loaded = advise::load_knowledge_base(dir ? dir : ADVISE_SOURCE_DIR "/kb", errors);
    if (!loaded) {
      for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.text().c_str());
      std::abort();
    }
    return std::move(*loaded);
  }();
  return kb;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace advise;
  const KnowledgeBase& kb = knowledge_base();
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<DataError> errors;
  try {
    auto profile = load_profile(text, "fuzz.json", kb, errors);
    for (const DataError& e : errors) (void)e.text();
    if (profile) (void)profile->name();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FINDING: load_profile threw: %s\n", e.what());
    std::abort();
  }
  return 0;
}
