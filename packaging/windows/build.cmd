@echo off
rem Build the Windows installer (not run yet; docs/install.md). Needs Python 3.11 with
rem `pip install -e .[ui,postgres,openjd,dist]`, Inno Setup 6 (iscc on PATH) and nssm.exe (64-bit,
rem from https://nssm.cc) copied into packaging\windows\ beside this file.
setlocal
cd /d "%~dp0\..\.."
if not exist packaging\windows\nssm.exe (echo packaging\windows\nssm.exe is missing & exit /b 1)
pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\corral.spec || exit /b 1
for /f "tokens=2" %%v in ('dist\corral-onedir\corral.exe --version') do set CORRAL_VERSION=%%v
iscc packaging\windows\corral.iss || exit /b 1
echo dist\corral-%CORRAL_VERSION%-windows-setup.exe
