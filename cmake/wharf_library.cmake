# wharf_library(<folder> [DEPS <folder>...] [LIBS <target>...] [SOURCES <file>...] [EXCLUDE <regex>])
#
# Makes the static library wharf_<folder> from src/<folder>/**/*.cc (tests excluded, and the
# files matching EXCLUDE: a subfolder that is a library of its own), linked
# PUBLIC to the libraries of DEPS and to the outside LIBS. DEPS must already be defined:
# the order of the calls is the order of the layers, so a cycle cannot be written.
#
# The library compiles against ${CMAKE_BINARY_DIR}/layers/<folder>/, a directory of links to
# src/<folder> and to every folder it may see (its DEPS and theirs), and nothing else.
function(wharf_library folder)
  cmake_parse_arguments(arg "" "EXCLUDE" "DEPS;LIBS;SOURCES" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${folder}/*.cc)
  list(FILTER sources EXCLUDE REGEX "_test\\.cc$")
  if(arg_EXCLUDE)
    list(FILTER sources EXCLUDE REGEX "${arg_EXCLUDE}")
  endif()
  add_library(wharf_${folder} STATIC ${sources} ${arg_SOURCES})

  set(visible ${folder})
  foreach(dep ${arg_DEPS})
    if(NOT TARGET wharf_${dep})
      message(FATAL_ERROR "wharf_library(${folder}): ${dep} is not defined above it")
    endif()
    get_property(dep_visible GLOBAL PROPERTY wharf_visible_${dep})
    list(APPEND visible ${dep_visible})
    target_link_libraries(wharf_${folder} PUBLIC wharf_${dep})
  endforeach()
  list(REMOVE_DUPLICATES visible)
  set_property(GLOBAL PROPERTY wharf_visible_${folder} ${visible})

  set(view ${CMAKE_BINARY_DIR}/layers/${folder})
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view})
  foreach(v ${visible})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${v} ${view}/${v} SYMBOLIC)
  endforeach()
  target_include_directories(wharf_${folder} PRIVATE ${view})
  target_link_libraries(wharf_${folder} PUBLIC ${arg_LIBS})
endfunction()
