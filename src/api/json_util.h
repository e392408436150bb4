// The API handlers read JSON with model/json.h's readers.
#pragma once

#include "model/json.h"
