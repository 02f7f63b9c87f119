import {
  Body,
  Controller,
  HttpCode,
  Post,
  Res,
  UploadedFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ClientKey } from '../auth/client-key';
import { UploadResponseDto } from '../sessions/dto/upload-response.dto';
import { SessionRoomGuard } from '../sessions/session-room.guard';
import { UploadRequestDto } from './dto/upload-request.dto';
import { UploadFileInterceptor } from './upload-file.interceptor';
import { UploadService } from './upload.service';

@ApiTags('upload')
@Controller('upload')
export class UploadController {
  constructor(private readonly uploads: UploadService) {}

  @Post()
  @HttpCode(200)
  @UseGuards(SessionRoomGuard)
  @UseInterceptors(UploadFileInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        file: { type: 'string', format: 'binary', description: 'A .csv or .xlsx file' },
        sheet: { type: 'string', description: 'Sheet to load from an XLSX (default: the first)' },
        header: {
          type: 'string',
          enum: ['true', 'false'],
          description: 'false when the file has no header row (columns column_1..n)',
        },
      },
    },
  })
  @ApiOkResponse({ type: UploadResponseDto })
  @ApiBadRequestResponse({
    description: 'Wrong extension, empty, unparseable or not CSV/XLSX content',
  })
  @ApiPayloadTooLargeResponse({ description: 'Larger than MAX_UPLOAD_SIZE_MB' })
  async upload(
    @UploadedFile() file: Express.Multer.File | undefined,
    @Body() body: UploadRequestDto,
    @Res({ passthrough: true }) res: Response,
    @ClientKey() client: string,
  ): Promise<UploadResponseDto> {
    const { session, ingestMs } = await this.uploads.upload(
      file,
      { sheet: body.sheet, header: body.header !== 'false' },
      client,
    );
    res.setHeader('Server-Timing', `ingest;dur=${ingestMs}`);
    return UploadResponseDto.from(session);
  }
}
