// Minimal stand-in for Sierra Chart's ACSIL header, written for CI only: it declares just the
// names V9BridgePipeExport.cpp uses, with the shapes the ACSIL documentation describes, so the
// study can be compiled with MinGW on Linux. It is NOT Sierra Chart's header; in Sierra Chart
// the real sierrachart.h is used (Analysis >> Build Custom Studies DLL).
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SCDLLName(Name)                                                        \
    extern "C" __declspec(dllexport) int scdll_DLLVersion() { return 2000; }    \
    extern "C" __declspec(dllexport) const char* scdll_DLLName() { return Name; }

#define SCSFExport extern "C" __declspec(dllexport) void

// Base-data array indices (sc.BaseData[...]).
enum {
    SC_OPEN = 0,
    SC_HIGH = 1,
    SC_LOW = 2,
    SC_LAST = 3,
    SC_VOLUME = 4,
    SC_NUM_TRADES = 5,
    SC_BIDVOL = 9,
    SC_ASKVOL = 10,
};

class SCString {
public:
    SCString() { buf_[0] = 0; }
    SCString(const char* s) { *this = s; }
    SCString& operator=(const char* s) {
        snprintf(buf_, sizeof buf_, "%s", s ? s : "");
        return *this;
    }
    const char* GetChars() const { return buf_; }
    operator const char*() const { return buf_; }
    SCString& Format(const char* fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf_, sizeof buf_, fmt, ap);
        va_end(ap);
        return *this;
    }

private:
    char buf_[512];
};

struct SCInput {
    SCString Name;
    void SetInt(int v) { int_ = v; }
    int GetInt() const { return int_; }
    void SetFloat(float v) { float_ = v; }
    float GetFloat() const { return float_; }
    void SetYesNo(int v) { int_ = v != 0; }
    int GetYesNo() const { return int_; }
    void SetString(const char* s) { str_ = s; }
    const char* GetString() const { return str_.GetChars(); }
    void SetCustomInputStrings(const char* s) { str_ = s; }
    void SetCustomInputIndex(int i) { int_ = i; }
    int GetIndex() const { return int_; }

private:
    int int_ = 0;
    float float_ = 0.0f;
    SCString str_;
};

struct SCInputArray {
    SCInput& operator[](int i) { return items_[i & 127]; }

private:
    SCInput items_[128];
};

struct SCFloatArray {
    float& operator[](int i) { return values_[i & 1023]; }

private:
    float values_[1024] = {};
};

struct SCBaseDataIn {
    SCFloatArray& operator[](int i) { return arrays_[i & 15]; }

private:
    SCFloatArray arrays_[16];
};

struct s_sc {
    int SetDefaults = 0;
    int LastCallToFunction = 0;
    int IsFullRecalculation = 0;
    int AutoLoop = 1;
    int GraphRegion = 0;
    int FreeDLL = 0;
    int ArraySize = 0;
    int Index = 0;
    float Bid = 0.0f;
    float Ask = 0.0f;
    SCString GraphName;
    SCString StudyDescription;
    SCString Symbol;
    SCInputArray Input;
    SCBaseDataIn BaseData;

    // Sierra Chart's Message Log; the CI driver shows it on stderr.
    void AddMessageToLog(const char* message, int show_log) {
        (void)show_log;
        fprintf(stderr, "%s\n", message);
    }
    int& GetPersistentInt(int key) { return ints_[key & 63]; }
    double& GetPersistentDouble(int key) { return doubles_[key & 63]; }
    void*& GetPersistentPointer(int key) { return pointers_[key & 63]; }

private:
    int ints_[64] = {};
    double doubles_[64] = {};
    void* pointers_[64] = {};
};

typedef s_sc& SCStudyInterfaceRef;
