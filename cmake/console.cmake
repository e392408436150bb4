# The web console: web/ (React + Cloudscape + the AWS SDK for JavaScript v3) built by Vite
# into ${CMAKE_BINARY_DIR}/console, beside the wharf binary, which serves it under /console/
# (src/console/static_site.h). `npm ci` runs when package-lock.json changes, the build when
# any file of the app does. -DWHARF_CONSOLE=OFF leaves it out (wharf then answers /console/
# with "not built").
option(WHARF_CONSOLE "Build the web console (needs node and npm)" ON)
if(NOT WHARF_CONSOLE)
  return()
endif()
find_program(NPM npm)
if(NOT NPM)
  message(FATAL_ERROR "the web console needs npm (scripts/install-deps.sh installs it), or -DWHARF_CONSOLE=OFF")
endif()

set(web ${CMAKE_SOURCE_DIR}/web)
set(console_out ${CMAKE_BINARY_DIR}/console)
set(npm_stamp ${CMAKE_BINARY_DIR}/web-npm-ci.stamp)
file(GLOB_RECURSE web_sources CONFIGURE_DEPENDS ${web}/src/*)
list(FILTER web_sources EXCLUDE REGEX "\\.test\\.tsx?$")

add_custom_command(
  OUTPUT ${npm_stamp}
  COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
  COMMAND ${CMAKE_COMMAND} -E touch ${npm_stamp}
  DEPENDS ${web}/package.json ${web}/package-lock.json
  WORKING_DIRECTORY ${web}
  COMMENT "npm ci (web console dependencies)"
  VERBATIM)
add_custom_command(
  OUTPUT ${console_out}/index.html
  COMMAND ${CMAKE_COMMAND} -E env WHARF_CONSOLE_OUT=${console_out} ${NPM} run --silent build
  DEPENDS ${npm_stamp} ${web_sources} ${web}/index.html ${web}/vite.config.ts ${web}/tsconfig.json
  WORKING_DIRECTORY ${web}
  COMMENT "vite build (web console) -> console/"
  VERBATIM)
add_custom_target(console ALL DEPENDS ${console_out}/index.html)
add_dependencies(wharf console)

# The console's pure logic (routes, backoff, errors, states): Vitest.
add_test(NAME web.vitest COMMAND ${NPM} run --silent test WORKING_DIRECTORY ${web})
