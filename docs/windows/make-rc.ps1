# Writes and compiles a VERSIONINFO resource from version.rc.in (docs/windows.md).
#   powershell -File docs\windows\make-rc.ps1 -File authgate.dll -Description "authgate OAuth 2.0 client (C ABI)" -Out target\authgate.res
param(
  [Parameter(Mandatory = $true)][string]$File,
  [Parameter(Mandatory = $true)][string]$Description,
  [Parameter(Mandatory = $true)][string]$Out
)
$ErrorActionPreference = "Stop"
$root = Resolve-Path "$PSScriptRoot\..\.."
$version = (Select-String -Path "$root\Cargo.toml" -Pattern '^version = "([^"]+)"').Matches[0].Groups[1].Value
$commas = (($version -split '[.-]')[0..2] + '0') -join ','
$rc = [System.IO.Path]::ChangeExtension($Out, ".rc")
(Get-Content "$PSScriptRoot\version.rc.in" -Raw) `
  -replace '@FILE@', $File -replace '@DESCRIPTION@', $Description `
  -replace '@VERSION_COMMAS@', $commas -replace '@VERSION@', $version |
  Set-Content -Encoding ASCII $rc
rc /nologo /fo $Out $rc
if ($LASTEXITCODE -ne 0) { throw "rc failed" }
