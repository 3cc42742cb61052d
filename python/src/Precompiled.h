// Precompiled header of the Python module: the core's heavy includes and pybind11.
#pragma once
#include "draggan/core/Precompiled.h"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
