// The HTML page: placeholder until written.
#include "engine/render.hpp"

namespace advise {
std::string render_html(const Report& report, const RuleSet&, View) { return render_detail::render_applicant(report, true); }
}  // namespace advise
