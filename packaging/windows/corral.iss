; Inno Setup 6 script: installs the one-folder corral (dist\corral-onedir, built on Windows with
; `pyinstaller --distpath dist packaging\corral.spec`), registers the render as the Windows
; service CorralRender through NSSM, and starts the tray at every login. Not built or run yet:
; docs/install.md says what was tested. Build: packaging\windows\build.cmd.
#define AppVersion GetEnv("CORRAL_VERSION")
#if AppVersion == ""
  #error Set CORRAL_VERSION (build.cmd does it from corral --version)
#endif

[Setup]
AppId=Corral
AppName=Corral
AppVersion={#AppVersion}
DefaultDirName={autopf}\Corral
DefaultGroupName=Corral
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=admin
OutputDir=..\..\dist
OutputBaseFilename=corral-{#AppVersion}-windows-setup
Compression=lzma2
SolidCompression=yes
UninstallDisplayIcon={app}\corral.exe

[Tasks]
Name: "render"; Description: "Run a render on this machine as a Windows service (farm hosts)"; Flags: unchecked
Name: "tray"; Description: "Start the tray at every login (workstations)"

[Dirs]
; the render's settings, its farm secret and token: writable by the service account only
Name: "{commonappdata}\Corral"; Permissions: system-full admins-full

[Files]
Source: "..\..\dist\corral-onedir\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion
Source: "nssm.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "..\..\docs\install.md"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{group}\Corral Monitor"; Filename: "{app}\corral.exe"; Parameters: "monitor"
Name: "{commonstartup}\Corral Tray"; Filename: "{app}\corral.exe"; Parameters: "tray"; Tasks: tray

[Run]
; The service runs `corral render` with the settings file; NSSM stops it with Ctrl+C (the render
; then returns its running tasks, as SIGTERM does on Linux) and waits 60 s before killing it.
Filename: "{app}\nssm.exe"; Parameters: "install CorralRender ""{app}\corral.exe"" render --config ""{commonappdata}\Corral\render.toml"" --farm-secret-file ""{commonappdata}\Corral\farm-secret"" --token-file ""{commonappdata}\Corral\render.token"""; Flags: runhidden; Tasks: render
Filename: "{app}\nssm.exe"; Parameters: "set CorralRender DisplayName ""Corral render"""; Flags: runhidden; Tasks: render
Filename: "{app}\nssm.exe"; Parameters: "set CorralRender Start SERVICE_DELAYED_AUTO_START"; Flags: runhidden; Tasks: render
Filename: "{app}\nssm.exe"; Parameters: "set CorralRender AppStopMethodConsole 60000"; Flags: runhidden; Tasks: render
Filename: "{app}\nssm.exe"; Parameters: "set CorralRender AppExit Default Restart"; Flags: runhidden; Tasks: render
Filename: "{app}\nssm.exe"; Parameters: "set CorralRender AppRestartDelay 5000"; Flags: runhidden; Tasks: render
Filename: "{app}\nssm.exe"; Parameters: "set CorralRender AppStdout ""{commonappdata}\Corral\render.log"""; Flags: runhidden; Tasks: render
Filename: "{app}\nssm.exe"; Parameters: "set CorralRender AppStderr ""{commonappdata}\Corral\render.log"""; Flags: runhidden; Tasks: render

[UninstallRun]
Filename: "{app}\nssm.exe"; Parameters: "stop CorralRender"; Flags: runhidden; RunOnceId: "StopRender"
Filename: "{app}\nssm.exe"; Parameters: "remove CorralRender confirm"; Flags: runhidden; RunOnceId: "RemoveRender"

[Code]
// After setup: the service starts only once render.toml and the farm secret are in place
// (as the Linux unit's ConditionPathExists); say so instead of starting a render that fails.
procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('render') then
    MsgBox('Put render.toml and farm-secret into ' + ExpandConstant('{commonappdata}\Corral') +
      ', then start the service: nssm start CorralRender (or services.msc).', mbInformation, MB_OK);
end;
