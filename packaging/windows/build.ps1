# Build Fieldbook for Windows and its installer, from the repository root:
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
# Needs Python 3.11+ (python.org, "Add to PATH") and Inno Setup 6 (iscc.exe).
# Steps and checks: packaging\windows\README.md.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

if (-not (Test-Path .venv)) { python -m venv .venv }
.venv\Scripts\python -m pip install -q -e ".[gui,postgres,build]"
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }

.venv\Scripts\python -m PyInstaller --noconfirm build.spec
if ($LASTEXITCODE -ne 0) { throw "the build failed" }

# The frozen app must pass its own end-to-end check before anything is packed.
dist\Fieldbook\fieldbook.exe self-test
if ($LASTEXITCODE -ne 0) { throw "the frozen self-test failed" }
$reported = (dist\Fieldbook\fieldbook.exe --version).Trim()      # "Fieldbook 0.1.0"
$version = $reported.Split(" ")[-1]
$expected = (.venv\Scripts\python -c "from resources import app_info_from_pyproject as a; print(a()['version'])").Trim()
if ($version -ne $expected) { throw "the build says $version, pyproject.toml says $expected" }

$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" packaging\windows\fieldbook.iss
if ($LASTEXITCODE -ne 0) { throw "the installer did not compile" }
Write-Host "dist\Fieldbook-$version-windows-x64-setup.exe"
