// CI driver: runs V9BridgePipeExport the way Sierra Chart would (defaults call, live chart
// updates, last call) against the stand-in header, so the study's real pipe code can be tested
// under Wine against the engine's pipe server (tests/pipe_windows.rs).
// usage: acsil_driver.exe PIPE_NAME UPDATES
#include "sierrachart.h"

#include <windows.h>
#include <stdlib.h>

SCSFExport scsf_V9BridgePipeExport(SCStudyInterfaceRef sc);

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    static s_sc sc;  // large: keep it off the stack
    sc.SetDefaults = 1;
    scsf_V9BridgePipeExport(sc);
    sc.SetDefaults = 0;
    sc.Input[0].SetString(argv[1]);  // Pipe name
    sc.Input[1].SetInt(10);          // Reconnect interval (ms)
    sc.Symbol = "ESZ25_FUT_CME";
    sc.ArraySize = 1;
    int updates = atoi(argv[2]);
    for (int i = 0; i < updates; ++i) {
        float last = 4700.0f + 0.25f * (float)(i % 40);  // changes on every update
        sc.BaseData[SC_LAST][0] = last;
        sc.Bid = last - 0.25f;
        sc.Ask = last + 0.25f;
        if (i == updates / 2) {
            sc.Input[3].SetCustomInputIndex(1);  // Send signal: LONG
            sc.Input[4].SetString("MES");
        }
        scsf_V9BridgePipeExport(sc);
        if (i % 64 == 0) Sleep(1);  // a chart updates every few ms, not in a tight loop
    }
    sc.LastCallToFunction = 1;
    scsf_V9BridgePipeExport(sc);
    return 0;
}
