# Install rules and the Debian package (CPack's DEB generator), included
# from the top-level CMakeLists.txt. One list of files serves
# `cmake --install` (scripts/install.sh) and the .deb (scripts/package.sh).

# Man pages and bash completion, generated from the program's own --help and
# the configuration reference in docs/configuration.md (scripts/generate_docs.cmake).
set(DOCS_OUT ${PROJECT_BINARY_DIR}/docs)
set(DOCS_FILES ${DOCS_OUT}/asc-webhookd.8.gz ${DOCS_OUT}/asc-webhookd.yaml.5.gz ${DOCS_OUT}/asc-webhookd.bash)
add_custom_command(
  OUTPUT ${DOCS_FILES}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${DOCS_OUT}
  COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE:asc-webhookd> -DREFERENCE=${PROJECT_SOURCE_DIR}/docs/configuration.md -DOUT=${DOCS_OUT}
          -P ${PROJECT_SOURCE_DIR}/scripts/generate_docs.cmake
  COMMAND gzip -9nkf ${DOCS_OUT}/asc-webhookd.8 ${DOCS_OUT}/asc-webhookd.yaml.5
  DEPENDS asc-webhookd ${PROJECT_SOURCE_DIR}/docs/configuration.md ${PROJECT_SOURCE_DIR}/scripts/generate_docs.cmake
          ${PROJECT_SOURCE_DIR}/scripts/asc-webhookd.bash.in
  COMMENT "Generating the man pages and bash completion")
add_custom_target(docs ALL DEPENDS ${DOCS_FILES})

# The unit, its ExecStart= pointing where this install puts the binary.
file(READ ${PROJECT_SOURCE_DIR}/systemd/asc-webhookd.service unit)
string(REPLACE "/usr/local/bin/asc-webhookd" "${CMAKE_INSTALL_FULL_BINDIR}/asc-webhookd" unit "${unit}")
string(REPLACE "Documentation=file:///usr/local/share/doc/asc-webhookd/README.md file:///usr/local/share/doc/asc-webhookd/docs/operating.md"
               "Documentation=man:asc-webhookd(8) man:asc-webhookd.yaml(5) file://${CMAKE_INSTALL_FULL_DOCDIR}/docs/operating.md" unit "${unit}")
file(WRITE ${PROJECT_BINARY_DIR}/asc-webhookd.service "${unit}")
# The package's unit: its header says how the package installed it.
string(REGEX REPLACE "^# asc-webhookd as a systemd service\\. Install:[^\n]*\n#[^\n]*\n#[^\n]*\n"
       "# asc-webhookd as a systemd service, installed by the asc-webhookd package\n# (/usr/bin/asc-webhookd). Edit /etc/asc-webhookd/config.yaml, then:\n# systemctl enable --now asc-webhookd\n"
       package_unit "${unit}")
if(package_unit STREQUAL unit)
  message(FATAL_ERROR "the unit's header comment changed: update the package's replacement in install.cmake")
endif()
file(WRITE ${PROJECT_BINARY_DIR}/deb/asc-webhookd.service "${package_unit}")

# The installed configuration (the package's conffile, scripts/install.sh's
# first config): the example, with the webhook secret read from the systemd
# credential both generate (LoadCredential=ios_app_webhook_secret).
file(READ ${PROJECT_SOURCE_DIR}/config/example.yaml example)
string(REGEX REPLACE "    secret: demo-secret-change-me[^\n]*"
       "    secret: \${credential:ios_app_webhook_secret}   # generated at install: /etc/asc-webhookd/credentials/ios_app_webhook_secret"
       installed_config "${example}")
if(installed_config STREQUAL example)
  message(FATAL_ERROR "config/example.yaml's secret line changed: update install.cmake's replacement")
endif()
file(WRITE ${PROJECT_BINARY_DIR}/installed-config.yaml "${installed_config}")

install(TARGETS asc-webhookd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES config/example.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/asc-webhookd)
install(FILES ${PROJECT_BINARY_DIR}/installed-config.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/asc-webhookd)
# Sample events for `asc-webhookd send` on a server that has only the package.
install(DIRECTORY tests/fixtures/events/seed/ DESTINATION ${CMAKE_INSTALL_DATADIR}/asc-webhookd/events)
install(FILES ${DOCS_OUT}/asc-webhookd.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${DOCS_OUT}/asc-webhookd.yaml.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${DOCS_OUT}/asc-webhookd.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME asc-webhookd)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES docs/operating.md docs/configuration.md docs/http.md docs/design.md docs/development.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(DIRECTORY config/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY config/proxy/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/proxy)

# Only in the package: the unit in /lib/systemd/system, the example as the
# conffile /etc/asc-webhookd/config.yaml, Debian's copyright and changelog
# (a native package: changelog.gz).
install(FILES ${PROJECT_BINARY_DIR}/deb/asc-webhookd.service DESTINATION /lib/systemd/system COMPONENT package EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_BINARY_DIR}/installed-config.yaml DESTINATION /etc/asc-webhookd RENAME config.yaml COMPONENT package EXCLUDE_FROM_ALL)
install(FILES scripts/package/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT package EXCLUDE_FROM_ALL)
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${PROJECT_BINARY_DIR}/changelog
     "asc-webhookd (${PROJECT_VERSION}) stable; urgency=medium\n\n"
     "  * Release ${PROJECT_VERSION}: see /usr/share/doc/asc-webhookd/README.md and docs/.\n\n"
     " -- asc-webhookd developers <dev@asc-webhookd.org>  ${changelog_date}\n")
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/changelog.gz
                   COMMAND gzip -9nkf ${PROJECT_BINARY_DIR}/changelog
                   DEPENDS ${PROJECT_BINARY_DIR}/changelog)
add_custom_target(debian_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT package EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME asc-webhookd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "asc-webhookd developers <dev@asc-webhookd.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # asc-webhookd_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/asc-webhookd/asc-webhookd")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from dpkg-shlibdeps, plus:
set(CPACK_DEBIAN_PACKAGE_DEPENDS "procps")  # /bin/kill, the unit's ExecReload=
# libpq is loaded only for a PostgreSQL store (store.url), so dpkg-shlibdeps
# does not see it.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libpq5")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "App Store Connect webhooks to CI/CD and team chat")
set(CPACK_PACKAGE_DESCRIPTION "asc-webhookd receives App Store Connect's webhook notifications (build
uploads, review states, TestFlight builds and feedback, asset packs),
verifies their signature, stores them durably and runs the actions its
rules match: GitHub Actions dispatches, Slack posts, Jira transitions,
Microsoft Teams cards, Discord embeds, GitLab pipelines and plain HTTP,
with retries. It reconciles with Apple's delivery log, so an event Apple
failed to deliver is not lost, and has a delivery console in the browser.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/scripts/package/conffiles ${PROJECT_SOURCE_DIR}/scripts/package/postinst
    ${PROJECT_SOURCE_DIR}/scripts/package/prerm ${PROJECT_SOURCE_DIR}/scripts/package/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# One package with both components (`package` is left out of a plain
# `cmake --install`, which must not write /etc or /lib).
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};asc-webhookd;Unspecified;/;${PROJECT_BINARY_DIR};asc-webhookd;package;/")
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/package)
include(CPack)
