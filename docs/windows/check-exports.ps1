# Compares a DLL's exports (dumpbin /EXPORTS) with what it must export (docs/windows.md).
#   check-exports.ps1 -Dll authgate.dll -Header include\authgate.h     every authgate_* function, nothing else
#   check-exports.ps1 -Dll AuthGate_Windows_x64.dll -Def addin\1c\src\AuthGate.def
param(
  [Parameter(Mandatory = $true)][string]$Dll,
  [string]$Header,
  [string]$Def
)
$ErrorActionPreference = "Stop"
$exports = dumpbin /NOLOGO /EXPORTS $Dll | ForEach-Object {
  if ($_ -match '^\s+\d+\s+[0-9A-F]+\s+[0-9A-F]{8}\s+(\S+)') { $Matches[1] }
} | Sort-Object -Unique
if ($Header) {
  $expected = Select-String -Path $Header -Pattern '\b(authgate_[a-z_0-9]+)\(' -AllMatches |
    ForEach-Object { $_.Matches } | ForEach-Object { $_.Groups[1].Value } | Sort-Object -Unique
} else {
  $expected = Get-Content $Def | Where-Object { $_ -match '^\s+[A-Za-z]\w*\s*$' } |
    ForEach-Object { $_.Trim() } | Sort-Object -Unique
}
$diff = Compare-Object -ReferenceObject @($expected) -DifferenceObject @($exports)
if ($diff) {
  $diff | ForEach-Object {
    if ($_.SideIndicator -eq '<=') { "missing export: $($_.InputObject)" } else { "unexpected export: $($_.InputObject)" }
  }
  throw "$Dll exports differ from what it must export"
}
"$Dll exports exactly the $(@($expected).Count) expected names"
