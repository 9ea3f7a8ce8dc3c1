{ A UI-friendly sign-in with AuthGate.Classes: the button starts an operation, a timer
  polls it, the UI never blocks. In a VCL or LCL form TSignInForm would be the form,
  SignInClick a button's OnClick, TimerTick a TTimer's OnTimer (Interval 100) and
  CancelClick the Cancel button; here a console loop plays the message loop so the test
  command can run it (tests/c/run.sh compiles it with Free Pascal in -Mdelphi and -Mobjfpc).

  Two sign-ins against the provider emulator: CUBA's password grant (finishes within a
  few ticks), then Kontur's device flow, where the till shows the code and the QR code and
  waits for the user; nobody comes, so the cashier presses Cancel after a second.

  fpc -Mdelphi -Fu. authgate_timer_example.dpr
  AUTHGATE_EMULATOR_URL=http://127.0.0.1:PORT ./authgate_timer_example }
program authgate_timer_example;

{$H+}
{$IFDEF MSWINDOWS}{$APPTYPE CONSOLE}{$ENDIF}

uses
  SysUtils, AuthGate.Classes;

type
  TSignInForm = class
  private
    FClient: TAuthgateClient;
    FOperation: TAuthgateOperation;
    FTokens: TAuthgateTokenSet;
    FStatus: string;
    FTimerEnabled: Boolean;
    procedure SetStatus(const Value: string);
  public
    destructor Destroy; override;
    { Button "Sign in" (password) }
    procedure SignInClick(const BaseUrl: string);
    { Button "Sign in with a phone" (device flow) }
    procedure DeviceSignInClick(const BaseUrl: string);
    { Button "Cancel" }
    procedure CancelClick;
    { TTimer.OnTimer: never blocks }
    procedure TimerTick;
    property TimerEnabled: Boolean read FTimerEnabled;
    property Tokens: TAuthgateTokenSet read FTokens;
    property Status: string read FStatus;
  end;

destructor TSignInForm.Destroy;
begin
  { closing the form while a request runs: cancel, and let the result be discarded }
  if FOperation <> nil then
    FOperation.Cancel;
  FOperation.Free;
  FTokens.Free;
  FClient.Free;
  inherited;
end;

procedure TSignInForm.SetStatus(const Value: string);
begin
  if Value <> FStatus then
    WriteLn('[status] ', Value); { a label's Caption in a form }
  FStatus := Value;
end;

procedure TSignInForm.SignInClick(const BaseUrl: string);
var
  Config: TAuthgateConfig;
begin
  FreeAndNil(FClient);
  Config := TAuthgateConfig.Create('cuba');
  try
    Config.BaseUrl := BaseUrl;
    Config.ClientId := 'client';
    Config.ClientSecret := 'secret';
    Config.TimeoutMs := 10000;
    FClient := TAuthgateClient.Create(Config);
  finally
    Config.Free;
  end;
  FOperation := FClient.StartPassword('admin', 'admin');
  SetStatus('Signing in...');
  FTimerEnabled := True;
end;

procedure TSignInForm.DeviceSignInClick(const BaseUrl: string);
var
  Config: TAuthgateConfig;
  Device: TAuthgateDevice;
begin
  FreeAndNil(FClient);
  Config := TAuthgateConfig.Create('kontur');
  try
    Config.ClientId := 'kontur-service';
    Config.ClientSecret := 'kontur-api-key';
    Config.Discover(BaseUrl); { one blocking GET; cache the endpoints in a real till }
    FClient := TAuthgateClient.Create(Config);
  finally
    Config.Free;
  end;
  Device := FClient.DeviceAuthorization; { one request, bounded by the timeouts }
  try
    { a form shows Device.QrSvg in a TImage (or QrText in a monospaced memo) }
    WriteLn(Device.QrText);
    SetStatus(Format('Open %s and enter %s (the code expires in %d s)',
      [Device.VerificationUri, Device.UserCode, Device.ExpiresIn]));
    { to survive a restart, save Device.ToJson (it holds the device code: keep it like a
      password) and resume with TAuthgateDevice.CreateFromJson }
    FOperation := FClient.StartWaitForDeviceToken(Device);
  finally
    Device.Free; { the operation keeps what it needs }
  end;
  FTimerEnabled := True;
end;

procedure TSignInForm.CancelClick;
begin
  if FOperation <> nil then
  begin
    FOperation.Cancel; { returns at once; the next ticks see the operation finish }
    SetStatus('Cancelling...');
  end;
end;

procedure TSignInForm.TimerTick;
begin
  if (FOperation = nil) or not FOperation.Finished then
    Exit; { still running: back to the message loop }
  FTimerEnabled := False;
  try
    try
      FreeAndNil(FTokens);
      FTokens := FOperation.TakeResult;
      SetStatus(Format('Signed in; the token expires at %s', [TimeToStr(FTokens.ExpiresAt)]));
    except
      on E: EAuthgateCancelled do SetStatus('Cancelled');
      on E: EAuthgateSignInRequired do SetStatus('Wrong login or password: ' + E.Description);
      on E: EAuthgateTransient do SetStatus('No connection, try again later: ' + E.Message);
      on E: EAuthgateConfig do SetStatus('Check the settings: ' + E.Message);
      on E: EAuthgate do SetStatus('Sign-in failed: ' + E.Message);
    end;
  finally
    FreeAndNil(FOperation);
  end;
end;

var
  Form: TSignInForm;
  BaseUrl: string;
  Ticks: Integer;
begin
  BaseUrl := GetEnvironmentVariable('AUTHGATE_EMULATOR_URL');
  if BaseUrl = '' then
  begin
    WriteLn(ErrOutput, 'AUTHGATE_EMULATOR_URL is not set');
    Halt(2);
  end;
  Form := TSignInForm.Create;
  try
    Form.SignInClick(BaseUrl);
    Ticks := 0;
    while Form.TimerEnabled and (Ticks < 300) do { the message loop, 100 ms per tick }
    begin
      Sleep(100);
      Inc(Ticks);
      Form.TimerTick;
    end;
    if Form.Tokens = nil then
    begin
      WriteLn(ErrOutput, 'the password sign-in did not finish: ', Form.Status);
      Halt(1);
    end;

    Form.DeviceSignInClick(BaseUrl);
    Ticks := 0;
    while Form.TimerEnabled and (Ticks < 100) do
    begin
      Sleep(100);
      Inc(Ticks);
      if Ticks = 10 then
        Form.CancelClick; { nobody comes: the cashier gives up after a second }
      Form.TimerTick;
    end;
    if Form.Status <> 'Cancelled' then
    begin
      WriteLn(ErrOutput, 'the device sign-in was not cancelled: ', Form.Status);
      Halt(1);
    end;
  finally
    Form.Free;
  end;
end.
