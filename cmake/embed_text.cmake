# cmake -DINPUT=<file> -DOUTPUT=<file.cc> -DSYMBOL=<qualified name> -P embed_text.cmake
# Writes a .cc defining `extern const char SYMBOL[]` holding INPUT's text (a raw string
# literal: the text must not contain the delimiter `)wharf"`).
file(READ ${INPUT} text)
string(FIND "${text}" ")wharf\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter")
endif()
string(REGEX REPLACE "::[^:]+$" "" ns "${SYMBOL}")
string(REGEX REPLACE "^.*::" "" name "${SYMBOL}")
file(WRITE ${OUTPUT} "// Generated from ${INPUT} by cmake/embed_text.cmake.\nnamespace ${ns} {\nextern const char ${name}[];\nconst char ${name}[] = R\"wharf(${text})wharf\";\n}\n")
