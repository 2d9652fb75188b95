# Generates the man pages and the bash completion from what the program
# itself says, so they never drift from it:
#   asc-webhookd.8       from `asc-webhookd --help` (the commands and options)
#   asc-webhookd.yaml.5  from the configuration reference (docs/configuration.md) (the
#                        table a test keeps equal to the loader's key list)
#   asc-webhookd.bash    completion of the commands and options in --help
#                        (scripts/asc-webhookd.bash.in filled in)
# Usage: cmake -DBIN=path/to/asc-webhookd -DREFERENCE=docs/configuration.md -DOUT=dir -P generate_docs.cmake
cmake_minimum_required(VERSION 3.20)

execute_process(COMMAND ${BIN} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${BIN} --help failed (${rc})")
endif()
execute_process(COMMAND ${BIN} --version OUTPUT_VARIABLE version_line OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX REPLACE "^asc-webhookd " "" version "${version_line}")
file(READ ${REFERENCE} readme)
string(TIMESTAMP date "%Y-%m-%d" UTC)
if(DEFINED ENV{SOURCE_DATE_EPOCH})  # reproducible packages
  string(TIMESTAMP date "%Y-%m-%d" UTC)
endif()

# roff: backslashes, dashes of options, a leading dot or quote.
function(roff_escape text out)
  string(REPLACE "<semicolon>" ";" text "${text}")
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "^([.'])" "\\\\&\\1" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Markdown of the reference's table cells: `code` bold, **strong** bold.
function(roff_markdown text out)
  roff_escape("${text}" text)
  string(REGEX REPLACE "`([^`]*)`" "\\\\fB\\1\\\\fR" text "${text}")
  string(REGEX REPLACE "\\*\\*([^*]*)\\*\\*" "\\\\fB\\1\\\\fR" text "${text}")
  string(REGEX REPLACE "\\[([^]]*)\\]\\(([^)]*)\\)" "\\1 (\\2)" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# --- asc-webhookd(8) --------------------------------------------------------------
string(REPLACE ";" "<semicolon>" help "${help}")  # a list separator to CMake
string(REPLACE "\n" ";" help_lines "${help}")
set(commands "")
set(synopsis "")
set(exit_codes "")
set(last_has_desc FALSE)
set(all_words "")
foreach(line IN LISTS help_lines)
  if(line MATCHES "^  asc-webhookd (.*)$")
    set(rest "${CMAKE_MATCH_1}")
    set(desc "")
    if(rest MATCHES "^(.*[^ ])  +(.*)$")
      set(rest "${CMAKE_MATCH_1}")
      set(desc "${CMAKE_MATCH_2}")
    endif()
    roff_escape("asc-webhookd ${rest}" syn)
    string(APPEND synopsis ".br\n\\fB${syn}\\fR\n")
    string(APPEND commands ".TP\n.B ${syn}\n")
    if(desc)
      roff_escape("${desc}" d)
      string(APPEND commands "${d}\n")
    endif()
    # completion: the command words and the options each takes
    string(REGEX REPLACE "^\\[([a-z]+)\\]" "\\1" plain "${rest}")  # [serve]
    string(REGEX MATCH "^[a-z][a-z-]*( [a-z][a-z-]*)?" words "${plain}")
    string(REGEX MATCHALL "--[a-z][a-z-]*" opts "${rest}")
    string(REPLACE ";" " " opts "${opts}")
    if(words)
      list(APPEND all_words "${words}=${opts}")
    endif()
  elseif(line MATCHES "^                +([^ ].*)$")
    roff_escape("${CMAKE_MATCH_1}" d)
    string(APPEND commands "${d}\n")
  elseif(line MATCHES "^exit codes: (.*)$")
    roff_escape("${CMAKE_MATCH_1}" exit_codes)
  endif()
endforeach()
list(GET help_lines 0 title)
roff_escape("${title}" title)

file(WRITE ${OUT}/asc-webhookd.8 ".\\\" Generated from `asc-webhookd --help` by scripts/generate_docs.cmake: do not edit.
.TH ASC-WEBHOOKD 8 \"${date}\" \"asc-webhookd ${version}\" \"System Administration\"
.SH NAME
asc-webhookd \\- App Store Connect webhooks to GitHub Actions, Slack, Jira, Teams, Discord and GitLab
.SH SYNOPSIS
.nf
${synopsis}.fi
.SH DESCRIPTION
${title}.
.PP
The daemon verifies each App Store Connect webhook POST (the
\\fBx\\-apple\\-signature\\fR HMAC\\-SHA256 of the raw body), stores the event and the
jobs its rules match durably (SQLite, fsync before the 200), and runs each job
with retries: GitHub Actions dispatches, Slack posts, Jira transitions, Teams
cards, Discord embeds, GitLab pipelines and plain HTTP. It answers
\\fB/healthz\\fR, \\fB/readyz\\fR and \\fB/metrics\\fR; with \\fBserver.admin_token\\fR
a delivery console at \\fB/ui\\fR. The configuration is described in
\\fBasc\\-webhookd.yaml\\fR(5).
.SH COMMANDS
${commands}.SH EXIT STATUS
${exit_codes}.
.SH SIGNALS
.TP
.B SIGHUP
reload the configuration; an invalid one is logged and the old one stays.
.TP
.B SIGTERM, SIGINT
stop accepting, finish requests in flight and running attempts (bounded), exit 0;
queued jobs wait in the store.
.SH FILES
.TP
.I /etc/asc\\-webhookd/config.yaml
the configuration (a conffile of the Debian package).
.TP
.I /var/lib/asc\\-webhookd/state.db
the store (the unit's \\fBStateDirectory=\\fR).
.TP
.I /lib/systemd/system/asc\\-webhookd.service
the systemd unit: \\fBType=notify\\fR, \\fBDynamicUser=\\fR, secrets by \\fBLoadCredential=\\fR.
.SH SEE ALSO
\\fBasc\\-webhookd.yaml\\fR(5), \\fBsystemctl\\fR(1), \\fBsystemd\\-creds\\fR(1)
")

# --- asc-webhookd.yaml(5) -----------------------------------------------------------
string(FIND "${readme}" "<!-- config-reference:begin -->" begin)
string(FIND "${readme}" "<!-- config-reference:end -->" end)
if(begin EQUAL -1 OR end EQUAL -1)
  message(FATAL_ERROR "${REFERENCE} has no configuration reference")
endif()
math(EXPR len "${end} - ${begin}")
string(SUBSTRING "${readme}" ${begin} ${len} table)
string(REPLACE ";" "<semicolon>" table "${table}")
string(REPLACE "\n" ";" rows "${table}")
set(keys "")
set(count 0)
foreach(row IN LISTS rows)
  if(row MATCHES "^\\| `([^`]+)` \\|([^|]*)\\|(.*)\\|$")
    set(key "${CMAKE_MATCH_1}")
    string(STRIP "${CMAKE_MATCH_2}" default)
    string(STRIP "${CMAKE_MATCH_3}" what)
    roff_markdown("${what}" what)
    roff_escape("${key}" key)
    string(APPEND keys ".TP\n.B ${key}\n")
    if(default)
      roff_markdown("${default}" default)
      string(APPEND keys "Default: ${default}.\n.br\n")
    endif()
    string(APPEND keys "${what}\n")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(count LESS 50)
  message(FATAL_ERROR "only ${count} keys read from the configuration reference (docs/configuration.md)")
endif()

file(WRITE ${OUT}/asc-webhookd.yaml.5 ".\\\" Generated from the configuration reference (docs/configuration.md) by scripts/generate_docs.cmake: do not edit.
.TH ASC-WEBHOOKD.YAML 5 \"${date}\" \"asc-webhookd ${version}\" \"File Formats\"
.SH NAME
asc-webhookd.yaml \\- configuration of asc\\-webhookd(8)
.SH SYNOPSIS
.I /etc/asc\\-webhookd/config.yaml
.SH DESCRIPTION
A YAML document with the sections \\fBserver\\fR, \\fBstore\\fR, \\fBreconcile\\fR,
\\fBdelivery\\fR, \\fBlog\\fR, \\fBapp_store_connect\\fR, \\fBwebhooks\\fR,
\\fBconnections\\fR and \\fBrules\\fR. Unknown keys are errors
(\\fBasc\\-webhookd check\\-config\\fR names them, with their line and column).
\\fBNAME\\fR is a name you choose; \\fB[]\\fR a list entry.
.PP
Secrets are given by reference, never inline in production:
\\fB\${env:NAME}\\fR, \\fB\${file:/path}\\fR, or \\fB\${credential:NAME}\\fR (a file
in \\fB\$CREDENTIALS_DIRECTORY\\fR, from the unit's \\fBLoadCredential=\\fR).
Durations are written \\fB500ms\\fR, \\fB30s\\fR, \\fB10m\\fR, \\fB2h\\fR, \\fB7d\\fR;
sizes \\fB64KiB\\fR, \\fB1MiB\\fR.
.PP
Templates (\\fB{{event.new_state}}\\fR) may appear in every string of an action;
\\fBcheck\\-config\\fR compiles each one.
.SH KEYS
${keys}.SH FILES
.TP
.I /usr/share/doc/asc\\-webhookd/examples/
example configurations for each use case, and the nginx and Caddy site configs.
.SH SEE ALSO
\\fBasc\\-webhookd\\fR(8)
")

# --- bash completion ----------------------------------------------------------------
set(cases "")
set(top "")
set(subs_apple "")
set(subs_event "")
set(subs_job "")
set(subs_review "")
foreach(entry IN LISTS all_words)
  string(REGEX MATCH "^([^=]*)=(.*)$" _ "${entry}")
  set(words "${CMAKE_MATCH_1}")
  set(opts "${CMAKE_MATCH_2}")
  string(REPLACE " " ";" wl "${words}")
  list(GET wl 0 first)
  list(LENGTH wl n)
  list(APPEND top "${first}")
  set(key "${first}")
  if(n GREATER 1)
    list(GET wl 1 second)
    list(APPEND subs_${first} "${second}")
    set(key "${first} ${second}")
  endif()
  string(APPEND cases "    \"${key}\") opts=\"${opts} --help\" ;;\n")
endforeach()
list(REMOVE_DUPLICATES top)
list(REMOVE_ITEM top "--version")
string(REPLACE ";" " " top "${top}")
foreach(group apple event job review)
  list(REMOVE_DUPLICATES subs_${group})
  string(REPLACE ";" " " subs_${group} "${subs_${group}}")
endforeach()

set(TOP "${top}")
set(SUBS_APPLE "${subs_apple}")
set(SUBS_EVENT "${subs_event}")
set(SUBS_JOB "${subs_job}")
set(SUBS_REVIEW "${subs_review}")
set(CASES "${cases}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/asc-webhookd.bash.in ${OUT}/asc-webhookd.bash @ONLY)
message(STATUS "generated asc-webhookd.8 (${version}), asc-webhookd.yaml.5 (${count} keys), asc-webhookd.bash")
