import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { StorageModule } from '../storage/storage.module';
import { CsvIngester } from './csv/csv-ingester';
import { UploadFileInterceptor } from './upload-file.interceptor';
import { UploadController } from './upload.controller';
import { UploadService } from './upload.service';
import { XlsxIngester } from './xlsx/xlsx-ingester';

@Module({
  imports: [SessionsModule, StorageModule],
  controllers: [UploadController],
  providers: [UploadService, UploadFileInterceptor, CsvIngester, XlsxIngester],
})
export class UploadModule {}
