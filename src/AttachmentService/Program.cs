using Ferry.AttachmentService;

// builder → AddServiceDefaults → AddApplicationServices → map: see AttachmentServiceApp (shared with tests).
AttachmentServiceApp.Build(args).Run();
