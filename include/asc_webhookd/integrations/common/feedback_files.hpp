#pragma once
// The files a TestFlight feedback ticket carries (`attach: [screenshots,
// crash_log]`), and the lines that describe the feedback where a rule gives
// no text of its own. Apple's screenshot URLs expire: each is downloaded at
// the attempt, and one that answers 403 or 410, or is past its expiry, is
// read again from Apple (Services::fresh_screenshots) and downloaded anew.
#include "asc_webhookd/integrations/common/action.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace asc_webhookd::actions::detail {

struct AttachedFile {
  std::string name;          // screenshot-1.png, crash_log.txt
  std::string content_type;  // image/png, text/plain; charset=utf-8
  std::string bytes;
};

// The files `kinds` name for this job's feedback (none for another event);
// nullopt (with `out` set) when a download failed.
boost::asio::awaitable<std::optional<std::vector<AttachedFile>>> feedback_files(const Job& job, Services& s, Outcome& out,
                                                                                const std::vector<std::string>& kinds);

// "1.2 MB"; file_label: "screenshot-1.png (1.2 MB)".
std::string size_text(std::size_t bytes);
std::string file_label(const std::string& name, std::size_t bytes);

// The feedback in a few lines: the tester's comment, device and OS, build,
// when (never the tester's email). Empty for an event that is no feedback.
std::vector<std::string> feedback_lines(const nlohmann::json& context);

// The ticket marker of the job's event: `asc-feedback-<submission id>` for
// feedback, `asc-event-<event id>` otherwise. A Jira label, a GitHub label.
std::string ticket_marker(const Job& job);

// A multipart/form-data body of `files`, each a part named `part`: the
// body and the boundary it uses.
std::pair<std::string, std::string> multipart_body(const std::vector<const AttachedFile*>& files, const std::string& part);

}  // namespace asc_webhookd::actions::detail
